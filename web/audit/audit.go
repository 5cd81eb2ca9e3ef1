// Package audit records who did what from where in the portal (and the
// CLI commands that change accounts): every release, delete, setting
// change and login, successful or not. Rows are only appended; `mailtower
// audit list` and the admin page read them.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/store"
)

var migrations = []string{
	`CREATE TABLE audit_log (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at INTEGER NOT NULL,
		actor TEXT NOT NULL,
		client TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		detail TEXT NOT NULL,
		ok INTEGER NOT NULL
	);
	CREATE INDEX audit_log_at ON audit_log(at);
	CREATE INDEX audit_log_actor ON audit_log(actor, at);`,
}

// Actions recorded.
const (
	Login       = "login"
	LoginFailed = "login.failed"
	Logout      = "logout"
	Release     = "quarantine.release"
	Delete      = "quarantine.delete"
	// Request is a user's release request; Deny an admin's refusal of
	// one (an approval is recorded as a Release).
	Request  = "quarantine.request"
	Deny     = "quarantine.deny"
	Setting  = "setting"
	Password = "password"
	TOTP     = "totp"
	Digest   = "digest"
)

// Entry is one audit record.
type Entry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Client string    `json:"client"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
	OK     bool      `json:"ok"`
}

// Log is the audit table.
type Log struct {
	db  *store.DB
	now func() time.Time
}

// Open migrates the audit table.
func Open(ctx context.Context, db *store.DB) (*Log, error) {
	if err := db.MigrateSchema(ctx, "audit", store.PortableSchema(migrations)); err != nil {
		return nil, err
	}
	return &Log{db: db, now: time.Now}, nil
}

// Record appends e (its At is set to now when zero).
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.At.IsZero() {
		e.At = l.now()
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, client, action, target, detail, ok) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.At.Unix(), e.Actor, e.Client, e.Action, e.Target, e.Detail, e.OK)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
	}
	return nil
}

// Filter selects audit entries, newest first.
type Filter struct {
	Actor  string
	Action string // a prefix: "quarantine" matches release and delete
	Since  time.Time
	// Before continues a listing after the entry with this id (paging).
	Before int64
	Limit  int
}

// List returns the entries f selects.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, strings.ToLower(f.Actor))
	}
	if f.Action != "" {
		where, args = append(where, "(action = ? OR action LIKE ? ESCAPE '\\')"),
			append(args, f.Action, strings.NewReplacer(`%`, `\%`, `_`, `\_`).Replace(f.Action)+".%")
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.Since.Unix())
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := `SELECT id, at, actor, client, action, target, detail, ok FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = store.NoLimit
	}
	rows, err := l.db.QueryContext(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Client, &e.Action, &e.Target, &e.Detail, &e.OK); err != nil {
			return nil, fmt.Errorf("audit list: %w", err)
		}
		e.At = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
