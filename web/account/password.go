package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// argon2id parameters: OWASP's second recommendation (19 MiB, 2 passes,
// 1 lane), cheap enough for a two-core gateway to check a few logins a
// second. They are stored in each hash, so raising them later keeps old
// hashes valid (and they are rehashed at the next login).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	minPassword  = 10
)

// HashPassword returns the PHC string of an argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkPassword compares password with a stored hash (argon2id, or bcrypt
// from an import). stale reports a hash to replace by a current argon2id.
func checkPassword(hash, password string) (ok, stale bool) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		var v int
		var m uint32
		var t uint32
		var p uint8
		parts := strings.Split(hash, "$")
		if len(parts) != 6 {
			return false, false
		}
		if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
			return false, false
		}
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 ||
			m > 1<<20 || t > 16 {
			return false, false
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
		if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
			return false, false
		}
		got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
		ok := subtle.ConstantTimeCompare(got, want) == 1
		return ok, ok && (m != argonMemory || t != argonTime || p != argonThreads || len(want) != argonKeyLen)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
		return ok, ok
	}
	return false, false
}

// ValidImportHash reports whether hash is an argon2id or bcrypt hash that
// SetPasswordHash accepts.
func ValidImportHash(hash string) error {
	if strings.HasPrefix(hash, "$argon2id$") && len(strings.Split(hash, "$")) == 6 {
		return nil
	}
	if _, err := bcrypt.Cost([]byte(hash)); err == nil {
		return nil
	}
	return fmt.Errorf("not an argon2id ($argon2id$...) or bcrypt ($2b$...) hash")
}

// dummyHash is checked against for unknown logins, so that the answer
// takes as long as for a known one (no login enumeration by timing).
var dummyHash, _ = HashPassword("mailtower-no-such-login")

// SetPassword stores a new password for login (created if missing) and
// ends its sessions and links: a changed password locks out whoever knew
// the old one.
func (s *Store) SetPassword(ctx context.Context, login, password string) error {
	if len([]rune(password)) < minPassword {
		return ErrWeakSecret
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.SetPasswordHash(ctx, login, h)
}

// SetPasswordHash stores an existing hash (import from another system:
// argon2id or bcrypt; bcrypt is replaced by argon2id at the first login).
func (s *Store) SetPasswordHash(ctx context.Context, login, hash string) error {
	if err := ValidImportHash(hash); err != nil {
		return err
	}
	login = NormalizeLogin(login)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password %s: %w", login, err)
	}
	defer tx.Rollback()
	now := s.now()
	if err := ensure(ctx, tx, login, now); err != nil {
		return fmt.Errorf("set password %s: %w", login, err)
	}
	for _, q := range []string{
		`UPDATE account_logins SET password = ?2, password_changed = ?3 WHERE login = ?1`,
		`DELETE FROM account_sessions WHERE login = ?1`,
		`DELETE FROM account_tokens WHERE login = ?1`,
	} {
		if _, err := tx.ExecContext(ctx, q, login, hash, now.Unix()); err != nil {
			return fmt.Errorf("set password %s: %w", login, err)
		}
	}
	return tx.Commit()
}

// CheckPassword verifies login's password. It returns ErrBadLogin for an
// unknown login or a wrong password alike, after the same work.
func (s *Store) CheckPassword(ctx context.Context, login, password string) error {
	login = NormalizeLogin(login)
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT password FROM account_logins WHERE login = ?`, login).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && hash == "") {
		checkPassword(dummyHash, password)
		return ErrBadLogin
	}
	if err != nil {
		return fmt.Errorf("check password %s: %w", login, err)
	}
	ok, stale := checkPassword(hash, password)
	if !ok {
		return ErrBadLogin
	}
	if stale {
		if h, err := HashPassword(password); err == nil {
			s.db.ExecContext(ctx, `UPDATE account_logins SET password = ? WHERE login = ? AND password = ?`, h, login, hash)
		}
	}
	return nil
}

// PasswordChanged returns when login's password was last set (zero if never).
func (s *Store) PasswordChanged(ctx context.Context, login string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT password_changed FROM account_logins WHERE login = ?`, NormalizeLogin(login)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	return time.Unix(at, 0), err
}
