// Package releasereq keeps users' release requests: in a domain with the
// "request release" option, a user's release of a quarantined message
// becomes a request that one of the domain's admins approves (then the
// message is released the normal way) or denies. Every query names the
// domain it may touch, so an id of another domain is not found.
package releasereq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailtower/mailtower/store"
)

var migrations = []string{
	`CREATE TABLE release_requests (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		message TEXT NOT NULL,
		recipient TEXT NOT NULL,
		domain TEXT NOT NULL,
		remember INTEGER NOT NULL DEFAULT 0,
		requested_by TEXT NOT NULL,
		requested_at INTEGER NOT NULL,
		state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied', 'closed')),
		decided_by TEXT NOT NULL DEFAULT '',
		decided_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX release_requests_open ON release_requests(message, recipient) WHERE state = 'pending';
	CREATE INDEX release_requests_domain ON release_requests(domain, state, requested_at);
	CREATE INDEX release_requests_message ON release_requests(message);`,
}

// The states of a request.
const (
	Pending  = "pending"
	Approved = "approved"
	Denied   = "denied"
	// Closed: the message left the quarantine another way (released or
	// deleted directly, expired) before anyone decided.
	Closed = "closed"
)

// ErrNotFound is returned for a request that does not exist in the
// domain asked for, or is no longer pending when a decision needs it.
var ErrNotFound = errors.New("no such pending release request")

// Request is one recipient's request to release one message.
type Request struct {
	ID          int64
	Message     string
	Recipient   string
	Domain      string
	Remember    bool
	RequestedBy string
	RequestedAt time.Time
	State       string
	DecidedBy   string
	DecidedAt   time.Time
}

// Store is the request table.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// Open migrates the request table.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.MigrateSchema(ctx, "releasereq", store.PortableSchema(migrations)); err != nil {
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Ask records a pending request; asking again while one is pending for
// the same message and recipient changes nothing (created is false).
func (s *Store) Ask(ctx context.Context, r Request) (created bool, err error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO release_requests
		(message, recipient, domain, remember, requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Message, r.Recipient, r.Domain, r.Remember, r.RequestedBy, s.now().Unix())
	if err != nil {
		return false, fmt.Errorf("release request %s for %s: %w", r.Message, r.Recipient, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const columns = `id, message, recipient, domain, remember, requested_by, requested_at, state, decided_by, decided_at`

// Pending lists domain's pending requests, oldest first, at most limit.
func (s *Store) Pending(ctx context.Context, domain string, limit int) ([]Request, error) {
	return s.query(ctx, `SELECT `+columns+` FROM release_requests WHERE domain = ? AND state = 'pending'
		ORDER BY requested_at, id LIMIT ?`, domain, limit)
}

// CountPending is the number of domain's pending requests.
func (s *Store) CountPending(ctx context.Context, domain string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM release_requests WHERE domain = ? AND state = 'pending'`, domain).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("release requests of %s: %w", domain, err)
	}
	return n, nil
}

// ForMessage lists the requests for message, newest first; the caller
// keeps those of the recipients it may see.
func (s *Store) ForMessage(ctx context.Context, message string) ([]Request, error) {
	return s.query(ctx, `SELECT `+columns+` FROM release_requests WHERE message = ? ORDER BY id DESC`, message)
}

// Get returns request id of domain.
func (s *Store) Get(ctx context.Context, id int64, domain string) (Request, error) {
	rs, err := s.query(ctx, `SELECT `+columns+` FROM release_requests WHERE id = ? AND domain = ?`, id, domain)
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, ErrNotFound
	}
	return rs[0], nil
}

// Decide moves request id of domain from pending to state (Approved,
// Denied or Closed), by whom; ErrNotFound when it is not pending (another
// admin was quicker), so a request is decided once.
func (s *Store) Decide(ctx context.Context, id int64, domain, state, by string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE release_requests SET state = ?, decided_by = ?, decided_at = ?
		WHERE id = ? AND domain = ? AND state = 'pending'`, state, by, s.now().Unix(), id, domain)
	if err != nil {
		return fmt.Errorf("release request %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrNotFound
	}
	return nil
}

// Reopen puts an approved request back to pending (its release failed).
func (s *Store) Reopen(ctx context.Context, id int64, domain string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE release_requests SET state = 'pending', decided_by = '', decided_at = 0
		WHERE id = ? AND domain = ? AND state = 'approved'`, id, domain)
	if err != nil {
		return fmt.Errorf("release request %d: %w", id, err)
	}
	return nil
}

// Close marks the pending requests for message's recipients closed: the
// message left the quarantine without a decision on them.
func (s *Store) Close(ctx context.Context, message string, recipients []string, by string) error {
	for _, rcpt := range recipients {
		if _, err := s.db.ExecContext(ctx, `UPDATE release_requests SET state = 'closed', decided_by = ?, decided_at = ?
			WHERE message = ? AND recipient = ? AND state = 'pending'`, by, s.now().Unix(), message, rcpt); err != nil {
			return fmt.Errorf("release request %s for %s: %w", message, rcpt, err)
		}
	}
	return nil
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Request, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("release requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var r Request
		var at, decided int64
		if err := rows.Scan(&r.ID, &r.Message, &r.Recipient, &r.Domain, &r.Remember, &r.RequestedBy, &at,
			&r.State, &r.DecidedBy, &decided); err != nil {
			return nil, fmt.Errorf("release requests: %w", err)
		}
		r.RequestedAt = time.Unix(at, 0)
		if decided != 0 {
			r.DecidedAt = time.Unix(decided, 0)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
