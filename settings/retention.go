package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mailtower/mailtower/store"
)

// Retention overrides per domain: how long the quarantine keeps one
// domain's viruses, spam or content catches when not for the [defaults]
// days. They belong to the domain: RemoveDomain removes them with it, so
// a domain added again under the same name starts from the defaults. The
// quarantine reads them when it stores mail and, when one changes,
// recomputes the expiry of what it holds (quarantine.Store.SetDomainRetention
// writes them through WriteDomainRetention in its own transaction).

// retentionMigrations is the schema of the overrides (component
// "domain_retention"): seconds, NULL = the default.
var retentionMigrations = []string{
	`CREATE TABLE domain_retention (
		domain TEXT PRIMARY KEY,
		virus INTEGER, spam INTEGER, content INTEGER
	);`,
}

// retentionColumns maps the quarantine categories to their columns.
var retentionColumns = map[string]string{"virus": "virus", "spam": "spam", "content": "content"}

// RetentionOverrides are one domain's overrides; nil means the default.
type RetentionOverrides struct {
	Virus, Spam, Content *time.Duration
}

// Querier reads one row: the database or a transaction.
type Querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Execer runs a statement: the database or a transaction.
type Execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// DomainRetention returns the overrides of one domain (all nil if none).
func (s *SQLStore) DomainRetention(ctx context.Context, domain string) (RetentionOverrides, error) {
	return ReadDomainRetention(ctx, s.db, domain)
}

// ReadDomainRetention returns the overrides of one (normalised) domain
// through q; all nil if none.
func ReadDomainRetention(ctx context.Context, q Querier, domain string) (RetentionOverrides, error) {
	var o RetentionOverrides
	var v, sp, c sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT virus, spam, content FROM domain_retention WHERE domain = ?`,
		domain).Scan(&v, &sp, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("retention of %s: %w", domain, err)
	}
	o.Virus, o.Spam, o.Content = seconds(v), seconds(sp), seconds(c)
	return o, nil
}

// WriteDomainRetention sets (d != nil) or clears (d == nil) the override
// of category ("virus", "spam" or "content") for one normalised domain
// through x, a transaction of the caller's.
func WriteDomainRetention(ctx context.Context, x Execer, domain, category string, d *time.Duration) error {
	col := retentionColumns[category]
	if col == "" || domain == "" {
		return fmt.Errorf("retention: bad domain %q or category %q", domain, category)
	}
	var val any
	if d != nil {
		val = int64(*d / time.Second)
	}
	// col comes from the fixed map above, never from input.
	if _, err := x.ExecContext(ctx, `INSERT INTO domain_retention (domain, `+col+`) VALUES (?, ?)
		ON CONFLICT (domain) DO UPDATE SET `+col+` = excluded.`+col, domain, val); err != nil {
		return fmt.Errorf("retention of %s: %w", domain, err)
	}
	if _, err := x.ExecContext(ctx, `DELETE FROM domain_retention
		WHERE domain = ? AND virus IS NULL AND spam IS NULL AND content IS NULL`, domain); err != nil {
		return fmt.Errorf("retention of %s: %w", domain, err)
	}
	return nil
}

func seconds(n sql.NullInt64) *time.Duration {
	if !n.Valid {
		return nil
	}
	d := time.Duration(n.Int64) * time.Second
	return &d
}

// adoptQuarantineOverrides moves the overrides that earlier versions kept
// in the quarantine's table (quarantine_domain_retention) here, once: the
// rows of domains that still exist are copied, and the old table is
// emptied (overrides of removed domains are dropped, which is the point).
func adoptQuarantineOverrides(ctx context.Context, db *store.DB) error {
	if db.IsPostgres() {
		return nil // PostgreSQL databases start after the move
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master
		WHERE type = 'table' AND name = 'quarantine_domain_retention'`).Scan(&n); err != nil || n == 0 {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("adopt retention overrides: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO domain_retention (domain, virus, spam, content)
		SELECT domain, virus, spam, content FROM quarantine_domain_retention
		WHERE domain IN (SELECT name FROM domains) ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("adopt retention overrides: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine_domain_retention`); err != nil {
		return fmt.Errorf("adopt retention overrides: %w", err)
	}
	return tx.Commit()
}
