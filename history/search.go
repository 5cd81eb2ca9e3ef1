package history

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/store"
)

// Filter selects and orders history rows (one per recipient). Zero
// values mean "any".
type Filter struct {
	// Sender is an envelope sender, or "@domain" for every sender of a domain.
	Sender string
	// Recipient is one recipient address; Domain a recipient domain.
	Recipient string
	Domain    string
	// QueueID matches the message's queue id and a re-injected or
	// released copy's.
	QueueID   string
	MessageID string
	// Subject words must all occur ("word*": a prefix).
	Subject string
	// Verdict: clean, spam, content, virus, refused.
	Verdict string
	// Action: pass, tag, quarantine, delete, reject, greylisted, ...
	Action string
	// Status: sent, deferred, bounced, expired, or "none" (no delivery
	// logged yet, or none to come).
	Status string
	// Since <= time < Until.
	Since, Until time.Time
	// Sort is "time" (default, newest first) or "score" (highest first);
	// Reverse turns it round.
	Sort    string
	Reverse bool
	Limit   int
	// Cursor continues after a previous page (NextCursor).
	Cursor string
	// Scope, when set, limits the rows to those it covers (scope.go).
	Scope *Scope
}

// Row is one recipient of one message in a listing.
type Row struct {
	// ID is the message's history id (`history show ID`); Row the
	// recipient row's (the cursor's tie-breaker).
	ID            int64     `json:"id"`
	Row           int64     `json:"row"`
	Time          time.Time `json:"time"`
	Stage         string    `json:"stage"`
	QueueID       string    `json:"queue_id"`
	DeliveryQueue string    `json:"delivery_queue_id,omitempty"`
	Sender        string    `json:"sender"`
	Recipient     string    `json:"recipient"`
	Subject       string    `json:"subject"`
	Size          int64     `json:"size"`
	Verdict       string    `json:"verdict"`
	Action        string    `json:"action"`
	Reason        string    `json:"reason,omitempty"`
	Score         float64   `json:"score"`
	Status        string    `json:"status"`
	QuarantineID  string    `json:"quarantine_id,omitempty"`
}

const rowColumns = `r.message, r.id, r.received, m.stage, m.queue_id, r.delivery_queue_id, r.sender, r.recipient, m.subject,
	m.size, r.verdict, r.action, r.reason, r.score, r.status, r.quarantine_id`

func scanRow(sc interface{ Scan(...any) error }) (Row, error) {
	var r Row
	var t int64
	err := sc.Scan(&r.ID, &r.Row, &t, &r.Stage, &r.QueueID, &r.DeliveryQueue, &r.Sender, &r.Recipient, &r.Subject,
		&r.Size, &r.Verdict, &r.Action, &r.Reason, &r.Score, &r.Status, &r.QuarantineID)
	r.Time = time.Unix(t, 0).UTC()
	return r, err
}

// wideSearch is the number of subject matches from which a listing walks
// its time index and tests each row against the matches instead of
// starting from the matches (see quarantine's wideSearch).
var wideSearch = 5000

// where returns the conditions and their arguments; every value is bound.
//
// SQLite has no statistics here (a gateway never runs ANALYZE: it would
// hold the write lock for seconds), so it cannot tell that a verdict or
// a status covers a large part of the rows and a sender a tiny one. When
// a narrow filter (an address, a sender domain, a queue id, a
// Message-ID) is given, the broad ones get a unary + so that they never
// drive the query: a page then walks the narrow filter's index (a sender
// domain's viruses: 0.5 s at 10 million rows when walking the virus
// rows instead).
//
// b, when set, is the part of f.Scope this query covers (scopedQuery);
// its address or sender domain is a narrow filter too.
func (f Filter) where(wide bool, b *branch, pg bool) ([]string, []any, error) {
	if f.Scope != nil && b == nil {
		return nil, nil, errors.New("a scoped filter is searched with Search only")
	}
	var where []string
	var args []any
	add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
	broad := ""
	if strings.TrimSpace(f.Sender) != "" || f.Recipient != "" || strings.TrimSpace(f.QueueID) != "" || NormMessageID(f.MessageID) != "" ||
		(b != nil && b.col != "domain" && b.col != "") {
		broad = "+"
	}
	if pg {
		broad = "" // PostgreSQL plans from its statistics (and has no unary + on text)
	}
	switch {
	case b == nil:
	case b.col == "":
		cond, v := f.Scope.cond()
		add(cond, v...)
	case b.col == "domain":
		add(broad+"r.domain = ?", b.val)
	default:
		add("r."+b.col+" = ?", b.val)
	}
	if s := strings.TrimSpace(f.Sender); s != "" {
		if d, ok := strings.CutPrefix(s, "@"); ok {
			add("r.sender_domain = ?", normDomain(d))
		} else {
			add("r.sender = ?", Key(s))
		}
	}
	if f.Recipient != "" {
		add("r.recipient = ?", Key(f.Recipient))
	}
	if f.Domain != "" {
		add(broad+"r.domain = ?", normDomain(f.Domain))
	}
	if q := strings.TrimSpace(f.QueueID); q != "" {
		add("(r.message IN (SELECT id FROM history_messages WHERE queue_id = ?) OR r.delivery_queue_id = ?)", q, q)
	}
	if id := NormMessageID(f.MessageID); id != "" {
		add("r.message IN (SELECT id FROM history_messages WHERE message_id = ?)", id)
	}
	if strings.TrimSpace(f.Subject) != "" {
		cond, v, err := quarantine.TextMatch(f.Subject, "r.message IN (SELECT docid FROM history_fts WHERE history_fts MATCH ?)",
			"hm.search_text", pg)
		if err != nil {
			return nil, nil, err
		}
		if pg {
			cond = "r.message IN (SELECT hm.id FROM history_messages hm WHERE " + cond + ")"
		} else if wide {
			cond = "+" + cond
		}
		add(cond, v...)
	}
	if f.Verdict != "" {
		add(broad+"r.verdict = ?", strings.ToLower(f.Verdict))
	}
	if f.Action != "" {
		add(broad+"r.action = ?", strings.ToLower(f.Action))
	}
	switch st := strings.ToLower(f.Status); st {
	case "":
	case "none":
		add(broad + "r.status = ''")
	case "sent", "deferred", "bounced", "expired":
		add(broad+"r.status = ?", st)
	default:
		return nil, nil, fmt.Errorf("status %q: want sent, deferred, bounced, expired or none", f.Status)
	}
	if !f.Since.IsZero() {
		add("r.received >= ?", f.Since.Unix())
	}
	if !f.Until.IsZero() {
		add("r.received < ?", f.Until.Unix())
	}
	if len(where) == 0 {
		where = append(where, "1 = 1")
	}
	return where, args, nil
}

func normDomain(d string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(d), "@"), "."))
}

// order returns the sort column and direction.
func (f Filter) order() (string, string, error) {
	col := "r.received"
	switch f.Sort {
	case "", "time":
	case "score":
		col = "r.score"
	default:
		return "", "", fmt.Errorf("sort %q: want time or score", f.Sort)
	}
	if f.Reverse {
		return col, "ASC", nil
	}
	return col, "DESC", nil
}

// cursor is the position after a page: sort value and row id.
type cursor struct {
	Sort    string  `json:"s"`
	Reverse bool    `json:"r"`
	Value   float64 `json:"v"`
	Row     int64   `json:"i"`
}

// NextCursor continues after rows (the page just listed with f); "" when
// the page was not full.
func (f Filter) NextCursor(rows []Row) string {
	if f.Limit <= 0 || len(rows) < f.Limit {
		return ""
	}
	last := rows[len(rows)-1]
	c := cursor{Sort: f.Sort, Reverse: f.Reverse, Row: last.Row, Value: float64(last.Time.Unix())}
	if f.Sort == "score" {
		c.Value = last.Score
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f Filter) decodeCursor() (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, fmt.Errorf("cursor %q: not a cursor printed by `history`", f.Cursor)
	}
	if c.Sort != f.Sort || c.Reverse != f.Reverse {
		return c, fmt.Errorf("cursor %q: made for another --sort or --reverse; repeat the same ones", f.Cursor)
	}
	return c, nil
}

// Search returns the rows f selects, one page when f.Limit > 0.
func (s *Store) Search(ctx context.Context, f Filter) ([]Row, error) {
	wide, err := s.isWide(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("history search: %w", err)
	}
	q, args, err := f.query(wide, s.db.IsPostgres())
	if err != nil {
		return nil, fmt.Errorf("history search: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history search: %w", err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("history search: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// query is the SELECT of f's page: one query, or one per part of the
// scope merged (scopedQuery).
func (f Filter) query(wide, pg bool) (string, []any, error) {
	if f.Scope != nil {
		return f.scopedQuery(wide, pg)
	}
	return f.pageQuery(wide, nil, pg)
}

// pageQuery is the SELECT of f's page, limited to the scope's part b when set.
func (f Filter) pageQuery(wide bool, b *branch, pg bool) (string, []any, error) {
	where, args, err := f.where(wide, b, pg)
	if err != nil {
		return "", nil, err
	}
	col, dir, err := f.order()
	if err != nil {
		return "", nil, err
	}
	if f.Cursor != "" {
		c, err := f.decodeCursor()
		if err != nil {
			return "", nil, err
		}
		cmp := "<"
		if dir == "ASC" {
			cmp = ">"
		}
		var v any = int64(c.Value)
		if f.Sort == "score" {
			v = c.Value
		}
		where, args = append(where, "("+col+", r.id) "+cmp+" (?, ?)"), append(args, v, c.Row)
	}
	q := `SELECT ` + rowColumns + ` FROM history_recipients r JOIN history_messages m ON m.id = r.message
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + col + ` ` + dir + `, r.id ` + dir + ` LIMIT ?`
	return q, append(args, f.limit()), nil
}

// limit is f.Limit for SQL (store.NoLimit: no limit).
func (f Filter) limit() int64 {
	if f.Limit <= 0 {
		return store.NoLimit
	}
	return int64(f.Limit)
}

// isWide reports whether f's subject words match at least wideSearch messages.
func (s *Store) isWide(ctx context.Context, f Filter) (bool, error) {
	if strings.TrimSpace(f.Subject) == "" {
		return false, nil
	}
	cond, args, err := quarantine.TextMatch(f.Subject, "history_fts MATCH ?", "hm.search_text", s.db.IsPostgres())
	if err != nil {
		return false, err
	}
	from := "SELECT docid FROM history_fts WHERE "
	if s.db.IsPostgres() {
		from = "SELECT 1 FROM history_messages hm WHERE "
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+from+cond+` LIMIT ?) AS w`, append(args, wideSearch)...).Scan(&n)
	return n >= wideSearch, err
}
