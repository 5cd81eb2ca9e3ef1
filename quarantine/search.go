package quarantine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// States are the life cycle of a quarantined recipient:
// quarantined -> releasing -> released, or quarantined -> deleted.
const (
	StateQuarantined = "quarantined"
	StateReleasing   = "releasing"
	StateReleased    = "released"
	StateDeleted     = "deleted"
)

// AllStates lists every state (for `quarantine list --all`).
var AllStates = []string{StateQuarantined, StateReleasing, StateReleased, StateDeleted}

// sortColumns maps Filter.Sort to the SQL column ordered by.
var sortColumns = map[string]string{"": "i.received", "received": "i.received", "size": "i.size",
	"score": "i.score", "sender": "i.sender"}

// wideSearch is the number of full-text matches from which a listing
// walks its sort index and tests each row against the matches, instead of
// starting from the matches and sorting them all: a common word matches
// tens of thousands of messages in a large quarantine, of which a page
// needs the first hundred in sort order.
var wideSearch = 2000 // a variable so that tests exercise both plans

// where returns the SQL conditions (joined by AND) and their arguments.
// Column names are fixed strings; every value is a bound argument. wide
// says the search matches many messages (see wideSearch): the unary + then
// keeps SQLite from driving the query from the full-text matches. pg
// says the database is PostgreSQL (see TextMatch).
func (f Filter) where(wide, pg bool) ([]string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
	if f.Category != "" {
		add("i.category = ?", string(f.Category))
	}
	if f.Recipient != "" {
		add("i.recipient = ?", recipientKey(f.Recipient))
	}
	if f.Domain != "" {
		add("i.recipient_domain = ?", strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(f.Domain), "@"), ".")))
	}
	if f.Sender != "" {
		add("i.sender = ?", strings.ToLower(strings.Trim(strings.TrimSpace(f.Sender), "<>")))
	}
	if !f.Since.IsZero() {
		add("i.received >= ?", f.Since.Unix())
	}
	if !f.Until.IsZero() {
		add("i.received < ?", f.Until.Unix())
	}
	if strings.TrimSpace(f.Search) != "" {
		cond, v, err := TextMatch(f.Search, "m.seq IN (SELECT docid FROM quarantine_fts WHERE quarantine_fts MATCH ?)",
			"m.search_text", pg)
		if err != nil {
			return nil, nil, err
		}
		if wide && !pg {
			cond = "+" + cond
		}
		add(cond, v...)
	}
	states := f.States
	if len(states) == 0 {
		states = []string{StateQuarantined}
	}
	for _, st := range states {
		if !validState(st) {
			return nil, nil, fmt.Errorf("state %q: want one of %s", st, strings.Join(AllStates, ", "))
		}
	}
	add("i.state IN (?"+strings.Repeat(", ?", len(states)-1)+")", toAny(states)...)
	if f.Scope != nil {
		cond, v := f.Scope.cond()
		add(cond, v...)
	}
	return where, args, nil
}

func validState(st string) bool {
	for _, s := range AllStates {
		if s == st {
			return true
		}
	}
	return false
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// order returns the ORDER BY column and direction.
func (f Filter) order() (string, string, error) {
	col, ok := sortColumns[f.Sort]
	if !ok {
		return "", "", fmt.Errorf("sort %q: want received, size, score or sender", f.Sort)
	}
	dir := "DESC"
	if f.Reverse != (f.Sort == "sender") { // sender sorts A-Z by default
		dir = "ASC"
	}
	return col, dir, nil
}

// ftsQuery turns what an admin typed into an FTS4 MATCH expression: every
// word becomes a quoted phrase (so that "-", "OR", ":" or quotes in the
// input are text, not query syntax), all words must match, and a trailing
// "*" keeps its prefix meaning. Punctuation inside a word ("example.org")
// makes a phrase of its tokens.
func ftsQuery(text string) (string, error) {
	var terms []string
	// Control characters (NUL ends the string for SQLite's C side) separate words.
	text = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, text)
	for _, w := range strings.Fields(text) {
		prefix := strings.HasSuffix(w, "*")
		w = strings.Trim(w, `*"`)
		w = strings.ReplaceAll(w, `"`, " ")
		if strings.TrimSpace(w) == "" {
			continue
		}
		if prefix {
			w += "*" // inside the quotes: FTS4 prefix syntax within a phrase
		}
		terms = append(terms, `"`+w+`"`)
	}
	if len(terms) == 0 {
		return "", fmt.Errorf("search %q: no words to search for", text)
	}
	return strings.Join(terms, " "), nil
}

// cursor is the position after the last item of a page: the sort value
// and the item id (the tie-breaker), bound to the sort that made it.
type cursor struct {
	Sort    string `json:"s"`
	Reverse bool   `json:"r"`
	Value   any    `json:"v"`
	Item    int64  `json:"i"`
}

// NextCursor returns the cursor that continues after items (the page just
// listed with f), or "" when the page was not full (no more items).
func (f Filter) NextCursor(items []Item) string {
	if f.Limit <= 0 || len(items) < f.Limit {
		return ""
	}
	last := items[len(items)-1]
	c := cursor{Sort: f.Sort, Reverse: f.Reverse, Item: last.Item}
	switch f.Sort {
	case "size":
		c.Value = last.Size
	case "score":
		c.Value = last.Score
	case "sender":
		c.Value = last.Sender
	default:
		c.Value = last.Received.Unix()
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, f Filter) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Value == nil {
		return c, fmt.Errorf("cursor %q: not a cursor printed by `quarantine list`", s)
	}
	if c.Sort != f.Sort || c.Reverse != f.Reverse {
		return c, fmt.Errorf("cursor %q: made for --sort %s (reverse %v); repeat the same --sort and --reverse", s, orReceived(c.Sort), c.Reverse)
	}
	// The value must have the sort column's type: a forged cursor must
	// not reach SQL with a map or a list.
	switch n, isNum := c.Value.(float64); {
	case c.Sort == "sender":
		if _, ok := c.Value.(string); !ok {
			return c, fmt.Errorf("cursor %q: not a cursor printed by `quarantine list`", s)
		}
	case !isNum:
		return c, fmt.Errorf("cursor %q: not a cursor printed by `quarantine list`", s)
	case c.Sort != "score":
		c.Value = int64(n) // JSON numbers decode as float64; received and size are integers
	}
	return c, nil
}

func orReceived(s string) string {
	if s == "" {
		return "received"
	}
	return s
}

// Count returns how many items match f (ignoring paging).
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	where, args, err := f.where(false, s.db.IsPostgres())
	if err != nil {
		return 0, fmt.Errorf("quarantine count: %w", err)
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM quarantine_items i JOIN quarantine_messages m ON m.id = i.message_id
		WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("quarantine count: %w", err)
	}
	return n, nil
}

// ParseCategory checks a category name.
func ParseCategory(s string) (scan.Category, error) {
	c := scan.Category(strings.ToLower(strings.TrimSpace(s)))
	if c != scan.Virus && c != scan.Spam && c != scan.Content {
		return "", fmt.Errorf("category %q: want virus, spam or content", s)
	}
	return c, nil
}

// ParseTime reads a point in time for --since/--until/--before: an RFC 3339
// time, a date (YYYY-MM-DD, midnight UTC), or an age relative to now such
// as 7d, 36h or 90m ("7d" = 7 days ago).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := ParseAge(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-11-22T06:00:00Z), a date (2026-11-22) or an age (7d, 36h, 90m)", s)
}

// maxAgeDays bounds ages (a century), far inside time.Duration's range.
const maxAgeDays = 36500

// ParseAge reads a duration that may use days ("7d", "1d12h") as well as
// Go's h, m and s units.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days int
	if i := strings.IndexByte(s, 'd'); i > 0 {
		if _, err := fmt.Sscanf(s[:i], "%d", &days); err != nil || fmt.Sprint(days) != s[:i] || days < 0 || days > maxAgeDays {
			return 0, fmt.Errorf("duration %q: bad day count", s)
		}
		s = s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil || rest < 0 || rest > maxAgeDays*24*time.Hour {
			return 0, fmt.Errorf("duration %q: want e.g. 7d, 36h, 90m", s)
		}
	} else if days == 0 {
		return 0, fmt.Errorf("duration %q: want e.g. 7d, 36h, 90m", s)
	}
	return time.Duration(days)*24*time.Hour + rest, nil
}

// FormatAge prints a duration as ParseAge reads it: whole days as "7d",
// else Go's form ("36h0m0s").
func FormatAge(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// isWide reports whether f's search matches at least wideSearch messages.
func (s *Store) isWide(ctx context.Context, f Filter) (bool, error) {
	if strings.TrimSpace(f.Search) == "" {
		return false, nil
	}
	cond, args, err := TextMatch(f.Search, "quarantine_fts MATCH ?", "m.search_text", s.db.IsPostgres())
	if err != nil {
		return false, err
	}
	from := "SELECT docid FROM quarantine_fts WHERE "
	if s.db.IsPostgres() {
		from = "SELECT 1 FROM quarantine_messages m WHERE "
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+from+cond+` LIMIT ?) AS w`, append(args, wideSearch)...).Scan(&n)
	return n >= wideSearch, err
}

// FTSQuery is ftsQuery for the other stores with a full-text search
// (history): what an admin typed, as a safe FTS4 MATCH expression.
func FTSQuery(text string) (string, error) { return ftsQuery(text) }
