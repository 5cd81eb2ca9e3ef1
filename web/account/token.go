package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A token is a bearer secret in a link (a digest mail's links): random,
// stored as its SHA-256, bound to one login and one purpose, with an
// expiry; SetPassword revokes every token of the login.

// tokenLen is the random part of a token, in bytes.
const tokenLen = 32

// NewToken creates a token for login's purpose, valid until expires.
func (s *Store) NewToken(ctx context.Context, login, purpose string, expires time.Time) (string, error) {
	t, err := secret(tokenLen)
	if err != nil {
		return "", err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO account_tokens (hash, login, purpose, expires) VALUES (?, ?, ?, ?)`,
		hashSecret(t), NormalizeLogin(login), purpose, expires.Unix()); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return t, nil
}

// Token returns the login a live token of purpose belongs to.
func (s *Store) Token(ctx context.Context, token, purpose string) (string, error) {
	if !ValidSessionID(token) { // same shape: 32 random bytes
		return "", ErrBadToken
	}
	var login string
	err := s.db.QueryRowContext(ctx, `SELECT login FROM account_tokens WHERE hash = ? AND purpose = ? AND expires > ?`,
		hashSecret(token), purpose, s.now().Unix()).Scan(&login)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrBadToken
	}
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return login, nil
}

// Lease takes or renews the named lease for holder until now+ttl; it
// returns false while another holder's lease is live. Gateways sharing a
// database use it so that a periodic job (digests) runs once.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO account_leases (name, holder, until) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET holder = ?2, until = ?3 WHERE account_leases.until < ?4 OR account_leases.holder = ?2`,
		name, holder, now.Add(ttl).Unix(), now.Unix())
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives up holder's lease early (its job is done).
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE account_leases SET until = 0 WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("lease %s: %w", name, err)
	}
	return nil
}
