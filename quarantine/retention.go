package quarantine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// Retention overrides per domain: a domain may keep viruses, spam or
// content catches for a different time than [defaults] *_retention_days.
// They live in the quarantine's own table (quarantine_domain_retention),
// set with `mailtower domain set D --virus-retention 7d`.
//
// An override applies to new mail and, when it is set or cleared, to what
// is already stored for that domain: the expiry of every stored item of
// the domain and category is recomputed from its received time, so that
// "keep viruses 7 days" means the next purge removes older ones.

// DomainRetention is one domain's overrides; a nil field means the default.
type DomainRetention struct {
	Domain               string
	Virus, Spam, Content *time.Duration
}

// For returns the override for a category, or nil.
func (d DomainRetention) For(c scan.Category) *time.Duration {
	switch c {
	case scan.Virus:
		return d.Virus
	case scan.Content:
		return d.Content
	}
	return d.Spam
}

// Default returns the store-wide retention ([defaults]).
func (s *Store) Default() Retention { return s.retention }

// DomainRetention returns the overrides of one domain (all nil if none).
func (s *Store) DomainRetention(ctx context.Context, domain string) (DomainRetention, error) {
	return domainRetention(ctx, s.db, strings.ToLower(domain))
}

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func domainRetention(ctx context.Context, q queryer, domain string) (DomainRetention, error) {
	d := DomainRetention{Domain: domain}
	var v, sp, c sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT virus, spam, content FROM quarantine_domain_retention WHERE domain = ?`,
		domain).Scan(&v, &sp, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("retention of %s: %w", domain, err)
	}
	d.Virus, d.Spam, d.Content = seconds(v), seconds(sp), seconds(c)
	return d, nil
}

func seconds(n sql.NullInt64) *time.Duration {
	if !n.Valid {
		return nil
	}
	d := time.Duration(n.Int64) * time.Second
	return &d
}

// retentionFor is the effective retention of a category for a domain.
func (s *Store) retentionFor(d DomainRetention, c scan.Category) time.Duration {
	if o := d.For(c); o != nil {
		return *o
	}
	return s.retention.For(c)
}

// SetDomainRetention sets (d > 0) or clears (d == nil) the override of one
// category for a domain, and recomputes the expiry of the domain's stored
// items of that category. It returns how many items got a new expiry.
func (s *Store) SetDomainRetention(ctx context.Context, domain string, c scan.Category, d *time.Duration) (int64, error) {
	domain = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	col := map[scan.Category]string{scan.Virus: "virus", scan.Spam: "spam", scan.Content: "content"}[c]
	if col == "" || domain == "" {
		return 0, fmt.Errorf("retention: bad domain %q or category %q", domain, c)
	}
	if d != nil && *d < time.Hour {
		return 0, fmt.Errorf("retention %s for %s: must be at least 1h", *d, domain)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("retention of %s: %w", domain, err)
	}
	defer tx.Rollback()
	var val any
	if d != nil {
		val = int64(*d / time.Second)
	}
	// col comes from the fixed map above, never from input.
	if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine_domain_retention (domain, `+col+`) VALUES (?, ?)
		ON CONFLICT (domain) DO UPDATE SET `+col+` = excluded.`+col, domain, val); err != nil {
		return 0, fmt.Errorf("retention of %s: %w", domain, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine_domain_retention
		WHERE domain = ? AND virus IS NULL AND spam IS NULL AND content IS NULL`, domain); err != nil {
		return 0, fmt.Errorf("retention of %s: %w", domain, err)
	}
	eff := s.retention.For(c)
	if d != nil {
		eff = *d
	}
	res, err := tx.ExecContext(ctx, `UPDATE quarantine_items SET expires = received + ?
		WHERE recipient_domain = ? AND category = ?`, int64(eff/time.Second), domain, string(c))
	if err != nil {
		return 0, fmt.Errorf("retention of %s: recompute expiry: %w", domain, err)
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}

// ClearDomainRetention removes every override of a domain (the domain was
// removed: a domain added again under the same name starts from the
// defaults) and recomputes the expiry of its stored items.
func (s *Store) ClearDomainRetention(ctx context.Context, domain string) error {
	for _, c := range []scan.Category{scan.Virus, scan.Spam, scan.Content} {
		if _, err := s.SetDomainRetention(ctx, domain, c, nil); err != nil {
			return err
		}
	}
	return nil
}
