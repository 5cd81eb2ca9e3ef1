package mirror

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/address"
)

// Item is one stored copy as the index knows it.
type Item struct {
	ID         string    `json:"id"`
	Domain     string    `json:"domain"`
	Received   time.Time `json:"received"`
	Expires    time.Time `json:"expires"`
	Sender     string    `json:"sender"`
	Recipients []string  `json:"recipients"`
	// Size is the message's size; StoredSize the encrypted file's.
	Size       int64 `json:"size"`
	StoredSize int64 `json:"stored_size"`
	// MessageIDHash is MessageIDHash of the message's Message-ID.
	MessageIDHash string `json:"message_id_hash"`
	// Replays are the earlier replays, oldest first.
	Replays []Replay `json:"replays"`
	path    string
}

// Replay is one replay of an entry.
type Replay struct {
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	Recipients []string  `json:"recipients"`
}

// Filter selects entries. Domain is required; Since and Until bound the
// time received (zero: open), Recipient keeps entries with that recipient
// (compared in canonical form), MessageID those of that Message-ID.
type Filter struct {
	Domain       string
	Since, Until time.Time
	Recipient    string
	MessageID    string
}

// List returns the entries f selects, oldest first, with their replays.
func (s *Store) List(ctx context.Context, f Filter) ([]Item, error) {
	if f.Domain == "" {
		return nil, fmt.Errorf("mirror list: a domain is required")
	}
	q := `SELECT id, domain, received, expires, sender, recipients, size, stored_size, message_id_hash, path
		FROM mirror_entries WHERE domain = ?`
	args := []any{f.Domain}
	if !f.Since.IsZero() {
		q += ` AND received >= ?`
		args = append(args, f.Since.Unix())
	}
	if !f.Until.IsZero() {
		q += ` AND received <= ?`
		args = append(args, f.Until.Unix())
	}
	if f.MessageID != "" {
		q += ` AND message_id_hash = ?`
		args = append(args, MessageIDHash(f.MessageID))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY received, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("mirror list: %w", err)
	}
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if f.Recipient == "" || hasRecipient(it.Recipients, f.Recipient) {
			out = append(out, it)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mirror list: %w", err)
	}
	for i := range out {
		if out[i].Replays, err = s.replays(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanItem(rows *sql.Rows) (Item, error) {
	var it Item
	var received, expires int64
	var rcpts string
	if err := rows.Scan(&it.ID, &it.Domain, &received, &expires, &it.Sender, &rcpts, &it.Size, &it.StoredSize,
		&it.MessageIDHash, &it.path); err != nil {
		return it, fmt.Errorf("mirror list: %w", err)
	}
	it.Received, it.Expires = time.Unix(received, 0), time.Unix(expires, 0)
	if err := json.Unmarshal([]byte(rcpts), &it.Recipients); err != nil {
		return it, fmt.Errorf("mirror entry %s: recipients: %w", it.ID, err)
	}
	return it, nil
}

func (s *Store) replays(ctx context.Context, id string) ([]Replay, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, by, recipients FROM mirror_replays WHERE entry_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("mirror entry %s replays: %w", id, err)
	}
	defer rows.Close()
	out := []Replay{}
	for rows.Next() {
		var r Replay
		var at int64
		var rcpts string
		if err := rows.Scan(&at, &r.By, &rcpts); err != nil {
			return nil, fmt.Errorf("mirror entry %s replays: %w", id, err)
		}
		r.At = time.Unix(at, 0)
		if err := json.Unmarshal([]byte(rcpts), &r.Recipients); err != nil {
			return nil, fmt.Errorf("mirror entry %s replays: %w", id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// hasRecipient reports whether rcpts holds want, in canonical form.
func hasRecipient(rcpts []string, want string) bool {
	w := canonical(want)
	for _, r := range rcpts {
		if canonical(r) == w {
			return true
		}
	}
	return false
}

func canonical(s string) string {
	if c, err := address.Canonical(s); err == nil {
		return c
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
}

// DomainStats is one domain's mirror on disk.
type DomainStats struct {
	Domain  string `json:"domain"`
	Entries int64  `json:"entries"`
	// Bytes is the encrypted files' size on disk; Size the messages'.
	Bytes  int64     `json:"bytes"`
	Size   int64     `json:"size"`
	Oldest time.Time `json:"oldest"`
	Newest time.Time `json:"newest"`
}

// Stats returns every domain's entries and disk use, by domain name.
func (s *Store) Stats(ctx context.Context) ([]DomainStats, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT domain, COUNT(*), SUM(stored_size), SUM(size), MIN(received), MAX(received)
		FROM mirror_entries GROUP BY domain ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("mirror stats: %w", err)
	}
	defer rows.Close()
	var out []DomainStats
	for rows.Next() {
		var d DomainStats
		var oldest, newest int64
		if err := rows.Scan(&d.Domain, &d.Entries, &d.Bytes, &d.Size, &oldest, &newest); err != nil {
			return nil, fmt.Errorf("mirror stats: %w", err)
		}
		d.Oldest, d.Newest = time.Unix(oldest, 0), time.Unix(newest, 0)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Bytes returns the disk use per domain (the metric mailtower_mirror_bytes).
func (s *Store) Bytes(ctx context.Context) (map[string]int64, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(st))
	for _, d := range st {
		out[d.Domain] = d.Bytes
	}
	return out, nil
}
