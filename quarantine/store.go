// Package quarantine keeps the messages mailtower withholds: the message
// file exactly as received, its envelope and verdict in SQLite, one row per
// quarantined recipient, with category, reason, score and expiry.
//
// Durability: Put returns only after the file and its directory are
// fsynced and the index row is committed (synchronous=FULL), so the milter
// may then tell Postfix to drop the recipient.
package quarantine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// Retention is how long each category is kept.
type Retention struct {
	Virus, Spam, Content time.Duration
}

// For returns the retention of a category.
func (r Retention) For(c scan.Category) time.Duration {
	switch c {
	case scan.Virus:
		return r.Virus
	case scan.Content:
		return r.Content
	}
	return r.Spam
}

// Store is the quarantine: message files under Dir plus the SQLite index,
// or, on PostgreSQL, index and bodies in the database (body.go).
type Store struct {
	db        *store.DB
	dir       string
	retention Retention
	now       func() time.Time
	log       *slog.Logger // nil: slog.Default (see SetReporting)
	events    Events
	released  func(ctx context.Context, r Released, by string, at time.Time)
}

// Open migrates the schema and returns the store keeping files under
// dataDir/quarantine.
func Open(ctx context.Context, db *store.DB, dataDir string, r Retention) (*Store, error) {
	// The domains' retention overrides live in the settings schema.
	if err := settings.Migrate(ctx, db); err != nil {
		return nil, err
	}
	if err := db.MigrateSchema(ctx, "quarantine", store.Schema{SQLite: migrations, Postgres: pgMigrations}); err != nil {
		return nil, err
	}
	dir := filepath.Join(dataDir, "quarantine")
	// Owned like the data directory: the CLI, run as root, may be first.
	if err := store.MkdirOwned(dataDir, dir, 0o750); err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	return &Store{db: db, dir: dir, retention: r, now: time.Now}, nil
}

// SetClock replaces the clock (tests, purge simulations).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Recipient is one recipient whose copy is quarantined.
type Recipient struct {
	// Address as the MTA gave it; the index keeps address.Canonical of it.
	Address  string
	Category scan.Category
	Reason   string
	Score    float64
	// Notify and ORcpt are the recipient's DSN parameters (RFC 3461), kept
	// for release; "" = not given.
	Notify, ORcpt string
}

// Entry is what Put stores.
type Entry struct {
	Envelope   scan.Envelope
	Subject    string
	HeaderFrom string
	// Raw is the message exactly as received; Size its length.
	Raw  io.Reader
	Size int64
	// Findings are every scanner finding (shown by `quarantine show`).
	Findings   []scan.Finding
	Recipients []Recipient
	// RET and EnvID are the sender's DSN parameters, kept for release.
	RET, EnvID string
}

// Put stores the message once and one index row per recipient, durably,
// and returns the message id. A message stored within DedupeWindow with
// the same sender, recipients and content (Received headers aside) is not
// stored again: Put returns that message's id (see DedupeWindow).
func (s *Store) Put(ctx context.Context, e Entry) (string, error) {
	if len(e.Recipients) == 0 {
		return "", fmt.Errorf("quarantine: no recipients")
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	received := s.now()
	content := newContentHash()
	var rel, sum string
	var size int64
	var body []byte // on PostgreSQL: stored with the index rows
	if s.db.IsPostgres() {
		rel = dbPathPrefix + id
		body, sum, err = readBody(io.TeeReader(e.Raw, content))
		size = int64(len(body))
	} else {
		rel = filepath.Join(received.UTC().Format("2006/01/02"), id+".eml")
		sum, size, err = s.writeFile(rel, io.TeeReader(e.Raw, content))
	}
	if err != nil {
		return "", fmt.Errorf("quarantine %s (queue id %s): %w", id, e.Envelope.QueueID, err)
	}
	key := dedupeKey(e.Envelope.Sender, e.Recipients, content.sum())
	stored, err := s.index(ctx, id, rel, sum, key, size, received, e, body)
	if (err != nil || stored != id) && body == nil {
		os.Remove(filepath.Join(s.dir, rel))
	}
	if err != nil {
		return "", fmt.Errorf("quarantine %s (queue id %s): %w", id, e.Envelope.QueueID, err)
	}
	return stored, nil
}

// index adds the rows of message id, or returns the id of the same
// message stored within DedupeWindow (and adds nothing). Only an entry
// nobody has acted on yet counts: once any copy of it was released or
// deleted, an identical message is stored as a new entry, so a user never
// loses a message into an item they already dealt with.
func (s *Store) index(ctx context.Context, id, rel, sum, key string, size int64, received time.Time, e Entry, body []byte) (string, error) {
	findings, err := encodeFindings(e.Findings)
	if err != nil {
		return "", err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	defer tx.Rollback()
	var earlier string
	err = tx.QueryRowContext(ctx, `SELECT id FROM quarantine_messages WHERE dedupe_key = ? AND received >= ?
		AND file_removed = 0 AND NOT EXISTS (SELECT 1 FROM quarantine_items i
			WHERE i.message_id = quarantine_messages.id AND i.state <> 'quarantined')
		ORDER BY received DESC LIMIT 1`, key, received.Add(-DedupeWindow).Unix()).Scan(&earlier)
	switch {
	case err == nil:
		return earlier, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("look for an earlier copy: %w", err)
	}
	env := e.Envelope
	if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine_messages (id, queue_id, sender, client_addr, client_host,
		helo, subject, header_from, size, received, path, sha256, findings, dedupe_key, dsn_ret, dsn_envid)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, env.QueueID, strings.ToLower(env.Sender), env.ClientAddr, env.ClientHost, env.Helo, e.Subject, e.HeaderFrom,
		size, received.Unix(), rel, sum, findings, key, e.RET, e.EnvID); err != nil {
		return "", fmt.Errorf("index message: %w", err)
	}
	if body != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine_bodies (message_id, body) VALUES (?, ?)`, id, body); err != nil {
			return "", fmt.Errorf("store message: %w", err)
		}
	}
	overrides := map[string]DomainRetention{}
	for _, r := range e.Recipients {
		// The index holds the canonical address (what list, release and
		// delete compare); the milter hands the address as Postfix gave it.
		addr, domain := recipientKey(r.Address), address.DomainOf(r.Address)
		dr, ok := overrides[domain]
		if !ok {
			if dr, err = domainRetention(ctx, tx, domain); err != nil {
				return "", err
			}
			overrides[domain] = dr
		}
		expires := received.Add(s.retentionFor(dr, r.Category))
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine_items (message_id, recipient, recipient_domain, category,
			reason, score, received, expires, sender, size, dsn_notify, dsn_orcpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, addr, domain, string(r.Category), r.Reason, r.Score, received.Unix(), expires.Unix(),
			strings.ToLower(env.Sender), size, r.Notify, r.ORcpt); err != nil {
			return "", fmt.Errorf("index recipient %s: %w", r.Address, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("index: %w", err)
	}
	return id, nil
}

// writeFile writes raw to dir/rel through a temporary file, fsyncs file
// and directory, and returns the SHA-256 and the size.
func (s *Store) writeFile(rel string, raw io.Reader) (string, int64, error) {
	path := filepath.Join(s.dir, rel)
	dir := filepath.Dir(path)
	if err := store.MkdirDurable(s.dir, dir); err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("create file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), raw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", 0, fmt.Errorf("rename into place: %w", err)
	}
	if err := store.SyncDir(dir); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// newID returns a random 16-hex-digit message id.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("quarantine id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Path returns the file of a stored message given its relative path.
func (s *Store) Path(rel string) string { return filepath.Join(s.dir, rel) }

// ErrNotFound is returned for an unknown message id.
var ErrNotFound = fmt.Errorf("no such message in the quarantine (check the id with `mailtower quarantine list`)")

// recipientKey is the form of a recipient address the index stores and
// filters compare: address.Canonical ("Alice"@X.test is alice@x.test), or
// the lower-cased text of what is not an address.
func recipientKey(s string) string {
	if c, err := address.Canonical(s); err == nil {
		return c
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
}
