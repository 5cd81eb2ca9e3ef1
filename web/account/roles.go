package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Role names stored in account_roles.
const (
	RoleAdmin       = "admin"
	RoleDomainAdmin = "domain_admin"
)

// Principal is who a login is and what it may reach.
type Principal struct {
	Login string
	// Admin sees and changes everything.
	Admin bool
	// Domains the login administers (domain admin).
	Domains []string
	// TOTP says a second factor is enrolled.
	TOTP bool
}

// IsDomainAdmin reports whether p administers at least one domain.
func (p Principal) IsDomainAdmin() bool { return len(p.Domains) > 0 }

// Administers reports whether p may act for every user of domain.
func (p Principal) Administers(domain string) bool {
	if p.Admin {
		return true
	}
	domain = strings.ToLower(domain)
	for _, d := range p.Domains {
		if d == domain {
			return true
		}
	}
	return false
}

// MayActFor reports whether p may see and act on the quarantine of address.
func (p Principal) MayActFor(address string) bool {
	address = strings.ToLower(address)
	if address == p.Login || p.Admin {
		return true
	}
	at := strings.LastIndexByte(address, '@')
	return at >= 0 && p.Administers(address[at+1:])
}

// Role is one row of `mailtower admin list`.
type Role struct {
	Login  string `json:"login"`
	Role   string `json:"role"`
	Domain string `json:"domain,omitempty"`
}

// AddRole gives login a role (admin, or domain admin of domain); the
// login is created if needed (it still needs a password).
func (s *Store) AddRole(ctx context.Context, login, role, domain string) error {
	login, domain = NormalizeLogin(login), strings.ToLower(strings.TrimSpace(domain))
	switch {
	case role == RoleAdmin && domain != "":
		return fmt.Errorf("an admin has every domain: give no domain")
	case role == RoleDomainAdmin && domain == "":
		return fmt.Errorf("a domain admin needs a domain")
	case role != RoleAdmin && role != RoleDomainAdmin:
		return fmt.Errorf("role %q: want %s or %s", role, RoleAdmin, RoleDomainAdmin)
	case login == "" || strings.ContainsAny(login, " \t\r\n\x00"):
		return fmt.Errorf("login %q: no spaces or control characters", login)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add role: %w", err)
	}
	defer tx.Rollback()
	if err := ensure(ctx, tx, login, s.now()); err != nil {
		return fmt.Errorf("add role: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (login, role, domain) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, login, role, domain); err != nil {
		return fmt.Errorf("add role: %w", err)
	}
	return tx.Commit()
}

// RemoveRole takes a role away (domain "" with RoleDomainAdmin: every domain).
func (s *Store) RemoveRole(ctx context.Context, login, role, domain string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM account_roles WHERE login = ? AND role = ? AND (? = '' OR domain = ?)`,
		NormalizeLogin(login), role, strings.ToLower(domain), strings.ToLower(domain))
	if err != nil {
		return 0, fmt.Errorf("remove role: %w", err)
	}
	return res.RowsAffected()
}

// Roles lists every role.
func (s *Store) Roles(ctx context.Context) ([]Role, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT login, role, domain FROM account_roles ORDER BY login, role, domain`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	var out []Role
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r.Login, &r.Role, &r.Domain); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Principal loads what login may do.
func (s *Store) Principal(ctx context.Context, login string) (Principal, error) {
	p := Principal{Login: NormalizeLogin(login)}
	err := s.db.QueryRowContext(ctx, `SELECT totp_enabled FROM account_logins WHERE login = ?`, p.Login).Scan(&p.TOTP)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("login %s: %w", p.Login, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT role, domain FROM account_roles WHERE login = ?`, p.Login)
	if err != nil {
		return p, fmt.Errorf("login %s: %w", p.Login, err)
	}
	defer rows.Close()
	for rows.Next() {
		var role, domain string
		if err := rows.Scan(&role, &domain); err != nil {
			return p, err
		}
		if role == RoleAdmin {
			p.Admin = true
		} else {
			p.Domains = append(p.Domains, domain)
		}
	}
	sort.Strings(p.Domains)
	return p, rows.Err()
}

// TOTPRequired reports whether login must use a second factor: admins and
// domain admins always, users when their domain requires it.
func (s *Store) TOTPRequired(ctx context.Context, p Principal) (bool, error) {
	if p.Admin || p.IsDomainAdmin() {
		return true, nil
	}
	at := strings.LastIndexByte(p.Login, '@')
	if at < 0 {
		return false, nil
	}
	return s.domainFlag(ctx, p.Login[at+1:], "require_totp")
}

// SetDomainTOTP says whether a domain's users must use a second factor.
func (s *Store) SetDomainTOTP(ctx context.Context, domain string, required bool) error {
	return s.setDomainFlag(ctx, domain, "require_totp", required)
}

// DomainTOTP reports whether a domain requires a second factor.
func (s *Store) DomainTOTP(ctx context.Context, domain string) (bool, error) {
	return s.domainFlag(ctx, domain, "require_totp")
}

// RemoveLogin deletes a login with its roles, sessions, codes and tokens
// (its user was removed: a new user of that address must not inherit the
// password).
func (s *Store) RemoveLogin(ctx context.Context, login string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM account_logins WHERE login = ?`, NormalizeLogin(login)); err != nil {
		return fmt.Errorf("remove login %s: %w", login, err)
	}
	return nil
}

// RemoveDomain forgets a removed domain: its domain admins' roles for it,
// its two-factor requirement and the logins of its addresses, so that a
// domain added again later (perhaps for another customer) starts with
// nobody able to log in to it.
func (s *Store) RemoveDomain(ctx context.Context, domain string) error {
	domain = strings.ToLower(strings.TrimSpace(domain))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove domain %s: %w", domain, err)
	}
	defer tx.Rollback()
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(domain)
	for _, q := range []string{
		`DELETE FROM account_roles WHERE role = 'domain_admin' AND domain = ?1`,
		`DELETE FROM account_domain_policy WHERE domain = ?1`,
		`DELETE FROM account_logins WHERE login LIKE ?2 ESCAPE '\'`,
	} {
		if _, err := tx.ExecContext(ctx, q, domain, "%@"+esc); err != nil {
			return fmt.Errorf("remove domain %s: %w", domain, err)
		}
	}
	return tx.Commit()
}
