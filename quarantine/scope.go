package quarantine

import (
	"context"
	"fmt"
	"strings"
)

// Scope limits what a caller may see and act on, in SQL: the items of
// these recipients and of every recipient in these domains. A nil *Scope
// is everything (root's CLI, a portal admin); an empty Scope is nothing.
// The portal gives a user its own address and a domain admin its
// domains, so that another user's message id finds no row (404), not a
// row the page then hides.
type Scope struct {
	Recipients []string
	Domains    []string
}

// cond returns the SQL condition of the scope over quarantine_items i.
func (sc *Scope) cond() (string, []any) {
	var parts []string
	var args []any
	// A recipient inside one of the domains adds nothing; leaving it out
	// keeps a one-domain scope a plain equality on recipient_domain, which
	// SQLite answers from the (recipient_domain, received) index in order.
	// With an OR it would read and sort every row of the domain.
	var rcpts []any
	for _, r := range sc.Recipients {
		if !(&Scope{Domains: sc.Domains}).Allows(r) {
			rcpts = append(rcpts, recipientKey(r))
		}
	}
	if len(rcpts) > 0 {
		parts, args = append(parts, "i.recipient IN "+placeholders(len(rcpts))), append(args, rcpts...)
	}
	if len(sc.Domains) > 0 {
		parts = append(parts, "i.recipient_domain IN "+placeholders(len(sc.Domains)))
		for _, d := range sc.Domains {
			args = append(args, strings.ToLower(strings.TrimSpace(d)))
		}
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// Allows reports whether the scope covers recipient (an item's Recipient).
func (sc *Scope) Allows(recipient string) bool {
	if sc == nil {
		return true
	}
	key := recipientKey(recipient)
	for _, r := range sc.Recipients {
		if recipientKey(r) == key {
			return true
		}
	}
	if at := strings.LastIndexByte(key, '@'); at >= 0 {
		for _, d := range sc.Domains {
			if strings.EqualFold(strings.TrimSpace(d), key[at+1:]) {
				return true
			}
		}
	}
	return false
}

// GetScoped is Get limited to the items sc covers: ErrNotFound when it
// covers none of the message's recipients.
func (s *Store) GetScoped(ctx context.Context, id string, sc *Scope) ([]Item, error) {
	if sc == nil {
		return s.Get(ctx, id)
	}
	cond, args := sc.cond()
	return s.getWhere(ctx, id, cond, args...)
}

// getWhere returns the items of message id that also meet cond.
func (s *Store) getWhere(ctx context.Context, id, cond string, args ...any) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+itemColumns+`, m.findings FROM quarantine_items i
		JOIN quarantine_messages m ON m.id = i.message_id WHERE i.message_id = ? AND `+cond+` ORDER BY i.id`,
		append([]any{id}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("quarantine %s: %w", id, err)
	}
	defer rows.Close()
	var out []Item
	var findings string // the message's, the same in every row
	for rows.Next() {
		it, err := scanItem(rows, &findings)
		if err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("quarantine %s: %w", id, ErrNotFound)
	}
	s.setFindings(out, findings)
	return out, nil
}
