package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SetDomainUserSpam says whether a domain's users may set their own spam
// level and action in the portal (by default only its admins may).
func (s *Store) SetDomainUserSpam(ctx context.Context, domain string, allowed bool) error {
	return s.setDomainFlag(ctx, domain, "user_spam", allowed)
}

// DomainUserSpam reports whether a domain's users may set their own spam
// level and action.
func (s *Store) DomainUserSpam(ctx context.Context, domain string) (bool, error) {
	return s.domainFlag(ctx, domain, "user_spam")
}

// SetDomainReleaseRequests says whether a user's release of its
// quarantined mail becomes a request that a domain admin approves.
func (s *Store) SetDomainReleaseRequests(ctx context.Context, domain string, on bool) error {
	return s.setDomainFlag(ctx, domain, "release_requests", on)
}

// DomainReleaseRequests reports whether a domain's users request releases
// instead of releasing.
func (s *Store) DomainReleaseRequests(ctx context.Context, domain string) (bool, error) {
	return s.domainFlag(ctx, domain, "release_requests")
}

// setDomainFlag sets one column of account_domain_policy (a constant of
// this package, never outside input).
func (s *Store) setDomainFlag(ctx context.Context, domain, column string, on bool) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO account_domain_policy (domain, `+column+`) VALUES (?, ?)
		ON CONFLICT (domain) DO UPDATE SET `+column+` = excluded.`+column, strings.ToLower(domain), on)
	if err != nil {
		return fmt.Errorf("domain %s: %s: %w", domain, column, err)
	}
	return nil
}

// domainFlag reads one column of account_domain_policy (false when the
// domain has no row).
func (s *Store) domainFlag(ctx context.Context, domain, column string) (bool, error) {
	var on bool
	err := s.db.QueryRowContext(ctx, `SELECT `+column+` FROM account_domain_policy WHERE domain = ?`, strings.ToLower(domain)).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("domain %s: %s: %w", domain, column, err)
	}
	return on, nil
}

// HasRole reports whether login is an admin or a domain admin of any
// domain: such a login's password and existence are changed by an admin
// only, never by a domain admin through a user of its domain.
func (s *Store) HasRole(ctx context.Context, login string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_roles WHERE login = ?`, NormalizeLogin(login)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("login %s: roles: %w", login, err)
	}
	return n > 0, nil
}
