package account

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP follows RFC 6238 with the parameters every authenticator app
// supports: SHA-1, 6 digits, 30-second steps. A code is accepted for the
// step before and after the current one (clock drift), and only for a
// step later than the last one accepted, so an observed code cannot be
// replayed, not even within its own 30 seconds.
const (
	totpPeriod = 30
	totpSkew   = 1
	// RecoveryCodes is how many one-time recovery codes enrolment gives.
	RecoveryCodes = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// BeginTOTP creates a new, not yet active, TOTP secret for login and
// returns its key (URL and QR image for the authenticator app). An
// enrolled factor stays active until ConfirmTOTP replaces it.
func (s *Store) BeginTOTP(ctx context.Context, login, issuer string) (*otp.Key, error) {
	login = NormalizeLogin(login)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: login, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("totp %s: %w", login, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE account_logins SET totp_secret = ? WHERE login = ? AND totp_enabled = 0`,
		key.Secret(), login)
	if err != nil {
		return nil, fmt.Errorf("totp %s: %w", login, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("totp %s: already enrolled (or no such login): reset it first", login)
	}
	return key, nil
}

// PendingTOTP returns the secret waiting for confirmation ("" if none).
func (s *Store) PendingTOTP(ctx context.Context, login string) (string, error) {
	var sec string
	var enabled bool
	err := s.db.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled FROM account_logins WHERE login = ?`,
		NormalizeLogin(login)).Scan(&sec, &enabled)
	if err != nil || enabled {
		return "", err
	}
	return sec, nil
}

// ConfirmTOTP activates the pending secret when code matches it, and
// returns fresh recovery codes (shown once; only their hashes are kept).
func (s *Store) ConfirmTOTP(ctx context.Context, login, code string) ([]string, error) {
	login = NormalizeLogin(login)
	sec, err := s.PendingTOTP(ctx, login)
	if err != nil {
		return nil, err
	}
	if sec == "" {
		return nil, ErrBadCode
	}
	step, ok := matchStep(sec, code, s.now())
	if !ok {
		return nil, ErrBadCode
	}
	codes := make([]string, RecoveryCodes)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("totp %s: %w", login, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE account_logins SET totp_enabled = 1, totp_last_step = ? WHERE login = ?`, step, login); err != nil {
		return nil, fmt.Errorf("totp %s: %w", login, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_recovery_codes WHERE login = ?`, login); err != nil {
		return nil, fmt.Errorf("totp %s: %w", login, err)
	}
	for i := range codes {
		c, err := secret(10)
		if err != nil {
			return nil, err
		}
		codes[i] = strings.ToLower(c[:4] + "-" + c[4:8] + "-" + c[8:12])
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_recovery_codes (login, code_hash) VALUES (?, ?)`,
			login, hashSecret(codes[i])); err != nil {
			return nil, fmt.Errorf("totp %s: %w", login, err)
		}
	}
	return codes, tx.Commit()
}

// ResetTOTP removes login's second factor and recovery codes (an admin's
// `mailtower admin totp-reset`, for a lost phone).
func (s *Store) ResetTOTP(ctx context.Context, login string) error {
	login = NormalizeLogin(login)
	res, err := s.db.ExecContext(ctx, `UPDATE account_logins SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 WHERE login = ?`, login)
	if err == nil {
		_, err = s.db.ExecContext(ctx, `DELETE FROM account_recovery_codes WHERE login = ?`, login)
	}
	if err != nil {
		return fmt.Errorf("totp reset %s: %w", login, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("totp reset %s: %w", login, ErrNotFound)
	}
	return nil
}

// VerifyTOTP checks a code (or a recovery code) for an enrolled login.
// Each code works once: the accepted step is recorded in the same
// statement that checks it is newer than the last one, so two gateways
// racing on one code accept it at most once.
func (s *Store) VerifyTOTP(ctx context.Context, login, code string) error {
	login = NormalizeLogin(login)
	code = strings.TrimSpace(code)
	var sec string
	var enabled bool
	err := s.db.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled FROM account_logins WHERE login = ?`, login).Scan(&sec, &enabled)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !enabled) {
		return ErrBadCode
	}
	if err != nil {
		return fmt.Errorf("totp %s: %w", login, err)
	}
	if len(code) > 6 { // a recovery code
		res, err := s.db.ExecContext(ctx, `DELETE FROM account_recovery_codes WHERE login = ? AND code_hash = ?`,
			login, hashSecret(strings.ToLower(code)))
		if err != nil {
			return fmt.Errorf("totp %s: %w", login, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		return ErrBadCode
	}
	step, ok := matchStep(sec, code, s.now())
	if !ok {
		return ErrBadCode
	}
	res, err := s.db.ExecContext(ctx, `UPDATE account_logins SET totp_last_step = ? WHERE login = ? AND totp_last_step < ?`,
		step, login, step)
	if err != nil {
		return fmt.Errorf("totp %s: %w", login, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrBadCode // replay of a used (or older) code
	}
	return nil
}

// RecoveryLeft counts login's unused recovery codes.
func (s *Store) RecoveryLeft(ctx context.Context, login string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_recovery_codes WHERE login = ?`, NormalizeLogin(login)).Scan(&n)
	return n, err
}

// matchStep returns the time step within ±totpSkew of now whose code is code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := cur + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}
