// Package account keeps the portal's logins: password hashes (argon2id),
// roles (admin, domain admin), TOTP second factors with recovery codes,
// sessions and one-time tokens, and the failed-login counters that rate
// limit guessing. Secrets that grant access (session ids, tokens, recovery
// codes) are stored only as SHA-256 hashes, so a copy of the database does
// not log anyone in; every row lives in the shared database, so several
// gateways on one database share sessions.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/store"
)

// Component is the store component name of this package's tables.
const Component = "accounts"

var migrations = []string{
	`CREATE TABLE account_logins (
		login TEXT PRIMARY KEY,
		password TEXT NOT NULL DEFAULT '',
		password_changed INTEGER NOT NULL DEFAULT 0,
		totp_secret TEXT NOT NULL DEFAULT '',
		totp_enabled INTEGER NOT NULL DEFAULT 0,
		totp_last_step INTEGER NOT NULL DEFAULT 0,
		digest TEXT NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'daily', 'weekly')),
		digest_last INTEGER NOT NULL DEFAULT 0,
		created INTEGER NOT NULL
	);
	CREATE TABLE account_roles (
		login TEXT NOT NULL REFERENCES account_logins(login) ON DELETE CASCADE,
		role TEXT NOT NULL CHECK (role IN ('admin', 'domain_admin')),
		domain TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (login, role, domain)
	);
	CREATE INDEX account_roles_domain ON account_roles(domain);
	CREATE TABLE account_recovery_codes (
		login TEXT NOT NULL REFERENCES account_logins(login) ON DELETE CASCADE,
		code_hash TEXT NOT NULL,
		PRIMARY KEY (login, code_hash)
	);
	CREATE TABLE account_sessions (
		id_hash TEXT PRIMARY KEY,
		login TEXT NOT NULL REFERENCES account_logins(login) ON DELETE CASCADE,
		stage TEXT NOT NULL CHECK (stage IN ('totp', 'enrol', 'full')),
		created INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		client TEXT NOT NULL
	);
	CREATE INDEX account_sessions_login ON account_sessions(login);
	CREATE TABLE account_login_failures (
		key TEXT NOT NULL,
		at INTEGER NOT NULL
	);
	CREATE INDEX account_login_failures_key ON account_login_failures(key, at);
	CREATE TABLE account_domain_policy (
		domain TEXT PRIMARY KEY,
		require_totp INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE account_tokens (
		hash TEXT PRIMARY KEY,
		login TEXT NOT NULL REFERENCES account_logins(login) ON DELETE CASCADE,
		purpose TEXT NOT NULL,
		expires INTEGER NOT NULL
	);
	CREATE INDEX account_tokens_login ON account_tokens(login);
	CREATE TABLE account_leases (
		name TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		until INTEGER NOT NULL
	);`,
	// Whether a domain's users may set their own spam level and action.
	`ALTER TABLE account_domain_policy ADD COLUMN user_spam INTEGER NOT NULL DEFAULT 0`,
	// Whether a user's release is a request a domain admin approves.
	`ALTER TABLE account_domain_policy ADD COLUMN release_requests INTEGER NOT NULL DEFAULT 0`,
}

// Errors callers test for.
var (
	ErrNotFound   = errors.New("no such login")
	ErrBadLogin   = errors.New("wrong login or password")
	ErrRateLimit  = errors.New("too many failed logins: wait a few minutes")
	ErrBadCode    = errors.New("wrong or already used code")
	ErrNoSession  = errors.New("no valid session")
	ErrBadToken   = errors.New("invalid or expired link")
	ErrWeakSecret = errors.New("password too short: at least 10 characters")
)

// Store is the account tables.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// Open migrates the account tables.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.MigrateSchema(ctx, Component, store.PortableSchema(migrations)); err != nil {
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// NormalizeLogin lower-cases and trims a login name (an address or an
// admin's name).
func NormalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// ensure creates the login row if missing.
func ensure(ctx context.Context, q execer, login string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO account_logins (login, created) VALUES (?, ?) ON CONFLICT (login) DO NOTHING`,
		login, now.Unix())
	return err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// secret returns n random bytes, base64url without padding.
func secret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret is how every bearer secret is stored.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
