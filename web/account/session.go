package account

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Session stages: after the password a session may only finish the
// second factor (StageTOTP) or enrol one (StageEnrol); StageFull may do
// what the login's roles allow.
const (
	StageTOTP  = "totp"
	StageEnrol = "enrol"
	StageFull  = "full"
)

// Session is one login session. The id is only in the browser's cookie;
// the database keeps its SHA-256.
type Session struct {
	ID       string
	Login    string
	Stage    string
	Created  time.Time
	LastSeen time.Time
}

// SessionLimits bound a session's life.
type SessionLimits struct {
	Idle, Max time.Duration
}

// sessionIDLen is the random part of a session id: 32 bytes, 43 base64url
// characters.
const sessionIDLen = 32

// ValidSessionID reports whether s has the shape of a session id (cheap
// check before any database look-up; cookies are outside input).
func ValidSessionID(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == sessionIDLen
}

// NewSession starts a session for login at stage, from client (the
// address shown in the audit log).
func (s *Store) NewSession(ctx context.Context, login, stage, client string) (Session, error) {
	id, err := secret(sessionIDLen)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	sess := Session{ID: id, Login: NormalizeLogin(login), Stage: stage, Created: now, LastSeen: now}
	_, err = s.db.ExecContext(ctx, `INSERT INTO account_sessions (id_hash, login, stage, created, last_seen, client)
		VALUES (?, ?, ?, ?, ?, ?)`, hashSecret(id), sess.Login, stage, now.Unix(), now.Unix(), client)
	if err != nil {
		return Session{}, fmt.Errorf("new session %s: %w", sess.Login, err)
	}
	return sess, nil
}

// Session returns the live session with this id and marks it used; an
// unknown, idle or too old session is ErrNoSession (and removed).
func (s *Store) Session(ctx context.Context, id string, lim SessionLimits) (Session, error) {
	if !ValidSessionID(id) {
		return Session{}, ErrNoSession
	}
	h := hashSecret(id)
	var sess Session
	var created, seen int64
	err := s.db.QueryRowContext(ctx, `SELECT login, stage, created, last_seen FROM account_sessions WHERE id_hash = ?`, h).
		Scan(&sess.Login, &sess.Stage, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	now := s.now()
	sess.ID, sess.Created, sess.LastSeen = id, time.Unix(created, 0), time.Unix(seen, 0)
	if now.Sub(sess.LastSeen) > lim.Idle || now.Sub(sess.Created) > lim.Max {
		s.db.ExecContext(ctx, `DELETE FROM account_sessions WHERE id_hash = ?`, h)
		return Session{}, ErrNoSession
	}
	// Write last_seen at most once a minute: one write per page view
	// would serialise every request on SQLite's write lock.
	if now.Sub(sess.LastSeen) >= time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE account_sessions SET last_seen = ? WHERE id_hash = ?`, now.Unix(), h); err != nil {
			return Session{}, fmt.Errorf("session: %w", err)
		}
		sess.LastSeen = now
	}
	return sess, nil
}

// Promote replaces a session by a new one at stage (a new id after every
// privilege change, against session fixation) and returns it.
func (s *Store) Promote(ctx context.Context, old Session, stage, client string) (Session, error) {
	if err := s.EndSession(ctx, old.ID); err != nil {
		return Session{}, err
	}
	return s.NewSession(ctx, old.Login, stage, client)
}

// EndSession removes a session (logout).
func (s *Store) EndSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM account_sessions WHERE id_hash = ?`, hashSecret(id)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// PurgeSessions removes sessions past their limits and old failure rows.
func (s *Store) PurgeSessions(ctx context.Context, lim SessionLimits) error {
	now := s.now()
	_, err := s.db.ExecContext(ctx, `DELETE FROM account_sessions WHERE last_seen < ? OR created < ?`,
		now.Add(-lim.Idle).Unix(), now.Add(-lim.Max).Unix())
	if err == nil {
		_, err = s.db.ExecContext(ctx, `DELETE FROM account_login_failures WHERE at < ?`, now.Add(-failureWindow).Unix())
	}
	if err == nil {
		_, err = s.db.ExecContext(ctx, `DELETE FROM account_tokens WHERE expires < ?`, now.Unix())
	}
	if err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	return nil
}

// CSRFToken is the form token of a session: derived from the session id
// (which only the browser and this process know), so nothing is stored.
func CSRFToken(sessionID string) string {
	sum := sha256.Sum256([]byte("mailtower csrf\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
