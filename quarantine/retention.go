package quarantine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Retention overrides per domain: a domain may keep viruses, spam or
// content catches for a different time than [defaults] *_retention_days.
// They belong to the domain in settings (settings.RetentionOverrides, set
// with `mailtower domain set D --virus-retention 7d`, removed with the
// domain); the quarantine reads them when it stores mail.
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

func domainRetention(ctx context.Context, q settings.Querier, domain string) (DomainRetention, error) {
	o, err := settings.ReadDomainRetention(ctx, q, domain)
	return DomainRetention{Domain: domain, Virus: o.Virus, Spam: o.Spam, Content: o.Content}, err
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
	if c != scan.Virus && c != scan.Spam && c != scan.Content || domain == "" {
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
	if err := settings.WriteDomainRetention(ctx, tx, domain, string(c), d); err != nil {
		return 0, err
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
