package history

import (
	"context"
	"fmt"
	"strings"
)

// Scope limits searches and stories to the rows of some addresses and
// domains, as recipient or as envelope sender, in SQL: the portal gives
// a user its own address and a domain admin its domains too, so that
// another user's message id finds no row (404), not a row the page then
// hides. A nil *Scope is everything (the CLI, a portal admin); an empty
// Scope is nothing.
type Scope struct {
	Addresses []string
	Domains   []string
}

// branch is one part of a scope: rows whose column equals the value.
// A scoped search runs one query per branch, each walking its own
// (column, time) index in order, and merges the pages (UNION): an OR of
// the parts would make SQLite read and sort every row of a domain.
type branch struct {
	col, val string
}

// maxBranches bounds the UNION (SQLite allows 500 parts); a scope with
// more parts (an admin of more than 100 domains) is searched with one OR
// condition, slower but correct.
const maxBranches = 200

// branches returns the scope's parts. An address inside one of the
// domains adds nothing.
func (sc *Scope) branches() []branch {
	var doms []string
	for _, d := range sc.Domains {
		if d = normDomain(d); d != "" {
			doms = append(doms, d)
		}
	}
	var addrs []string
	for _, a := range sc.Addresses {
		if k := Key(a); k != "" && !contains(doms, domainOf(k)) {
			addrs = append(addrs, k)
		}
	}
	var out []branch
	for _, a := range addrs {
		out = append(out, branch{"recipient", a}, branch{"sender", a})
	}
	for _, d := range doms {
		out = append(out, branch{"domain", d}, branch{"sender_domain", d})
	}
	return out
}

func contains(set []string, s string) bool {
	for _, v := range set {
		if v == s {
			return true
		}
	}
	return false
}

// cond is the scope as one SQL condition over history_recipients r.
func (sc *Scope) cond() (string, []any) {
	var parts []string
	var args []any
	for _, b := range sc.branches() {
		parts, args = append(parts, "r."+b.col+" = ?"), append(args, b.val)
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// senderCond is the part of the scope that covers a message by its sender.
func (sc *Scope) senderCond() (string, []any) {
	var parts []string
	var args []any
	for _, b := range sc.branches() {
		if b.col == "sender" || b.col == "sender_domain" {
			parts, args = append(parts, "r."+b.col+" = ?"), append(args, b.val)
		}
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// ShowScoped is the story of the message with history id id as far as
// sc covers it: ErrNotFound when sc covers none of its rows. A caller
// covered as the sender sees every recipient; one covered as recipient
// sees its own recipients only, and only their delivery attempts and
// events. A nil sc is Show by id.
func (s *Store) ShowScoped(ctx context.Context, id int64, sc *Scope) (Story, error) {
	st, err := s.scopedStory(ctx, id, sc)
	if err != nil {
		return st, fmt.Errorf("history show %d: %w", id, err)
	}
	return st, nil
}

func (s *Store) scopedStory(ctx context.Context, id int64, sc *Scope) (Story, error) {
	if sc == nil {
		return s.story(ctx, id)
	}
	cond, args := sc.cond()
	scond, sargs := sc.senderCond()
	var n int
	var asSender bool
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(CASE WHEN `+scond+` THEN 1 ELSE 0 END), 0) FROM history_recipients r
		WHERE r.message = ? AND `+cond, append(append(sargs, id), args...)...).Scan(&n, &asSender)
	if err != nil {
		return Story{}, err
	}
	if n == 0 {
		return Story{}, ErrNotFound
	}
	st, err := s.story(ctx, id)
	if err != nil || asSender {
		return st, err
	}
	// A recipient sees its own rows only: the others' addresses, their
	// servers and replies are not its business.
	visible := map[string]bool{}
	var rcpts []StoryRcpt
	for _, r := range st.Recipients {
		if sc.covers(r.Recipient) {
			visible[r.Recipient] = true
			rcpts = append(rcpts, r)
		}
	}
	st.Recipients = rcpts
	var evs []Event
	for _, e := range st.Events {
		if e.Recipient == "" || visible[Key(e.Recipient)] {
			evs = append(evs, e)
		}
	}
	st.Events = evs
	dels := []Delivery{}
	for _, d := range st.Deliveries {
		if d.Recipient == "" || visible[d.Recipient] {
			dels = append(dels, d)
		}
	}
	st.Deliveries = dels
	return st, nil
}

// covers reports whether the scope covers recipient key rcpt.
func (sc *Scope) covers(rcpt string) bool {
	for _, b := range sc.branches() {
		if (b.col == "recipient" && b.val == rcpt) || (b.col == "domain" && b.val == domainOf(rcpt)) {
			return true
		}
	}
	return false
}

// Result columns of rowColumns that a merged page is ordered by.
const (
	colRow      = 2
	colReceived = 3
	colScore    = 14
)

// scopedQuery is f's page over the scope's parts: each part's page in its
// own index order, merged without duplicates (a row of a user both
// sender and recipient) and cut to the page. Every row of the merged
// page is on its part's page, so the result is the page of the OR.
func (f Filter) scopedQuery(wide, pg bool) (string, []any, error) {
	bs := f.Scope.branches()
	if len(bs) == 0 {
		return `SELECT ` + rowColumns + ` FROM history_recipients r JOIN history_messages m ON m.id = r.message WHERE 1 = 0`, nil, nil
	}
	if len(bs) == 1 || len(bs) > maxBranches {
		b := &branch{} // the whole scope as one condition
		if len(bs) == 1 {
			b = &bs[0]
		}
		return f.pageQuery(wide, b, pg)
	}
	_, dir, err := f.order()
	if err != nil {
		return "", nil, err
	}
	col := colReceived
	if f.Sort == "score" {
		col = colScore
	}
	var parts []string
	var args []any
	for i := range bs {
		q, a, err := f.pageQuery(wide, &bs[i], pg)
		if err != nil {
			return "", nil, err
		}
		parts, args = append(parts, fmt.Sprintf(`SELECT * FROM (%s) AS part%d`, q, i)), append(args, a...)
	}
	q := strings.Join(parts, "\nUNION ") + fmt.Sprintf("\nORDER BY %d %s, %d %s LIMIT ?", col, dir, colRow, dir)
	return q, append(args, f.limit()), nil
}
