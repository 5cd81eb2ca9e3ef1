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
// database use it so that a periodic job (digests) runs once. The leases
// are the database's (store.DB.Lease), shared with the other jobs; the
// account_leases table of earlier versions is no longer used.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	return s.db.Lease(ctx, name, holder, s.now(), ttl)
}

// ReleaseLease gives up holder's lease early (its job is done).
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.db.ReleaseLease(ctx, name, holder)
}
