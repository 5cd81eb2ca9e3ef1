package account

import (
	"context"
	"fmt"
	"time"
)

// Digest schedules.
const (
	DigestOff    = "off"
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
)

// SetDigest sets login's digest schedule.
func (s *Store) SetDigest(ctx context.Context, login, schedule string) error {
	if schedule != DigestOff && schedule != DigestDaily && schedule != DigestWeekly {
		return fmt.Errorf("digest %q: want off, daily or weekly", schedule)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE account_logins SET digest = ? WHERE login = ?`, schedule, NormalizeLogin(login))
	if err != nil {
		return fmt.Errorf("digest %s: %w", login, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("digest %s: %w", login, ErrNotFound)
	}
	return nil
}

// Digest returns login's digest schedule.
func (s *Store) Digest(ctx context.Context, login string) (string, error) {
	var d string
	err := s.db.QueryRowContext(ctx, `SELECT digest FROM account_logins WHERE login = ?`, NormalizeLogin(login)).Scan(&d)
	return d, err
}

// DigestDue is one login whose digest is due.
type DigestDue struct {
	Login string
	// Since is the end of the previous digest; zero for the first, which
	// lists everything still quarantined.
	Since time.Time
}

// DigestsDue lists the logins whose schedule has a digest due at now:
// daily ones last sent more than 20 hours ago, weekly ones 6.5 days ago
// (a little less than the period, so the hour of sending does not drift).
func (s *Store) DigestsDue(ctx context.Context, now time.Time) ([]DigestDue, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT login, digest_last FROM account_logins
		WHERE (digest = 'daily' AND digest_last < ?) OR (digest = 'weekly' AND digest_last < ?) ORDER BY login`,
		now.Add(-20*time.Hour).Unix(), now.Add(-156*time.Hour).Unix())
	if err != nil {
		return nil, fmt.Errorf("digests due: %w", err)
	}
	defer rows.Close()
	var out []DigestDue
	for rows.Next() {
		var d DigestDue
		var since int64
		if err := rows.Scan(&d.Login, &since); err != nil {
			return nil, err
		}
		if since > 0 {
			d.Since = time.Unix(since, 0)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DigestSent records that login's digest covering up to at was sent.
func (s *Store) DigestSent(ctx context.Context, login string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE account_logins SET digest_last = ? WHERE login = ?`, at.Unix(), NormalizeLogin(login))
	return err
}
