package quarantine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store"
)

// Item is one quarantined recipient of a stored message.
type Item struct {
	// ID is the message id (shared by the message's recipients).
	ID         string        `json:"id"`
	Item       int64         `json:"item"`
	QueueID    string        `json:"queue_id"`
	Category   scan.Category `json:"category"`
	Recipient  string        `json:"recipient"`
	Sender     string        `json:"sender"`
	HeaderFrom string        `json:"header_from"`
	Subject    string        `json:"subject"`
	Score      float64       `json:"score"`
	Reason     string        `json:"reason"`
	Received   time.Time     `json:"received"`
	Expires    time.Time     `json:"expires"`
	Size       int64         `json:"size"`
	State      string        `json:"state"`
	// StateChanged and StateBy say when and by whom the state last changed.
	StateChanged *time.Time `json:"state_changed,omitempty"`
	StateBy      string     `json:"state_by,omitempty"`
	ClientAddr   string     `json:"client_addr"`
	ClientHost   string     `json:"client_host"`
	Helo         string     `json:"helo"`
	// Path is the message file relative to the quarantine directory.
	Path string `json:"-"`
	// FileRemoved is set once delete or purge removed the message file.
	FileRemoved bool `json:"file_removed,omitempty"`
	// Findings are filled by Get, not by List.
	Findings []scan.Finding `json:"findings,omitempty"`
	// FindingsUnreadable is set by Get when the stored findings could not
	// be decoded (logged and counted; the item is otherwise complete).
	FindingsUnreadable bool `json:"findings_unreadable,omitempty"`
}

// Filter selects and orders items. Zero values mean "any".
type Filter struct {
	Category  scan.Category
	Recipient string
	// Domain is the recipient domain.
	Domain string
	Sender string
	// Since and Until bound the received time: Since <= received < Until.
	Since, Until time.Time
	// Search is full-text search over subject, envelope sender and From
	// header: every word must occur; "word*" matches a prefix.
	Search string
	// States to include; empty means only "quarantined".
	States  []string
	Sort    string // received (default), size, score, sender
	Reverse bool   // oldest / smallest first instead of newest / largest
	Limit   int
	Offset  int
	// Cursor continues after the last item of a previous page (see
	// NextCursor); it replaces Offset for deep pages.
	Cursor string
	// Scope, when set, limits the items to those it covers (scope.go).
	Scope *Scope
}

const itemColumns = `i.message_id, i.id, m.queue_id, i.category, i.recipient, m.sender, m.header_from, m.subject,
	i.score, i.reason, i.received, i.expires, m.size, i.state, i.state_changed, COALESCE(i.state_by, ''),
	m.client_addr, m.client_host, m.helo, m.path, m.file_removed`

// scanItem reads one row of itemColumns, then any extra columns into extra.
func scanItem(sc interface{ Scan(...any) error }, extra ...any) (Item, error) {
	var it Item
	var received, expires int64
	var changed sql.NullInt64
	err := sc.Scan(append([]any{&it.ID, &it.Item, &it.QueueID, &it.Category, &it.Recipient, &it.Sender, &it.HeaderFrom,
		&it.Subject, &it.Score, &it.Reason, &received, &expires, &it.Size, &it.State, &changed, &it.StateBy,
		&it.ClientAddr, &it.ClientHost, &it.Helo, &it.Path, &it.FileRemoved}, extra...)...)
	it.Received, it.Expires = time.Unix(received, 0).UTC(), time.Unix(expires, 0).UTC()
	if changed.Valid {
		t := time.Unix(changed.Int64, 0).UTC()
		it.StateChanged = &t
	}
	return it, err
}

// List returns the items that match f, one page of them when f.Limit > 0.
func (s *Store) List(ctx context.Context, f Filter) ([]Item, error) {
	wide, err := s.isWide(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("quarantine list: %w", err)
	}
	where, args, err := f.where(wide, s.db.IsPostgres())
	if err != nil {
		return nil, fmt.Errorf("quarantine list: %w", err)
	}
	order, dir, err := f.order()
	if err != nil {
		return nil, fmt.Errorf("quarantine list: %w", err)
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, f)
		if err != nil {
			return nil, fmt.Errorf("quarantine list: %w", err)
		}
		cmp := "<"
		if dir == "ASC" {
			cmp = ">"
		}
		where, args = append(where, "("+order+", i.id) "+cmp+" (?, ?)"), append(args, c.Value, c.Item)
	}
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = store.NoLimit
	}
	q := `SELECT ` + itemColumns + ` FROM quarantine_items i JOIN quarantine_messages m ON m.id = i.message_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` ` + dir + `, i.id ` + dir + ` LIMIT ? OFFSET ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("quarantine list: %w", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("quarantine list: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Get returns every recipient item of one message, with its findings.
func (s *Store) Get(ctx context.Context, id string) ([]Item, error) {
	return s.getWhere(ctx, id, "1 = 1")
}
