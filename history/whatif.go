package history

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// WhatIfOptions select the stored messages to replay and the proposed
// settings to replay them under.
type WhatIfOptions struct {
	// Filter selects the recipients (Domain, Recipient, Sender, Since,
	// Until); sorting and paging are ignored. Refusals at RCPT and
	// outbound mail (no spam policy) are not replayed.
	Filter Filter
	// Resolve is the proposed resolution of a recipient's policy
	// (a settings.Resolver over settings.Proposed).
	Resolve func(ctx context.Context, recipient string) (settings.Resolved, error)
	// Examples is how many examples to keep per change (default 5).
	Examples int
}

// WhatIf is what the proposed settings would have changed.
type WhatIf struct {
	// Replayed is the number of recipients replayed; Changed of those
	// whose action would differ.
	Replayed int      `json:"replayed"`
	Changed  int      `json:"changed"`
	Changes  []Change `json:"changes"`
}

// Change is one direction of change ("pass" -> "quarantine").
type Change struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Count    int       `json:"count"`
	Examples []Example `json:"examples"`
}

// Example is one recipient whose fate would change.
type Example struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	Sender       string    `json:"sender"`
	Recipient    string    `json:"recipient"`
	Subject      string    `json:"subject"`
	Score        float64   `json:"score"`
	Threshold    float64   `json:"threshold"`
	WasVerdict   string    `json:"was_verdict"`
	WouldVerdict string    `json:"would_verdict"`
}

// ReplayWhatIf recomputes every selected recipient's verdict and action
// from the stored evidence under o.Resolve's settings (policy.Treat, as
// the milter does; the stored spam findings carry the points the
// combiner gave them, so the score is their sum) and counts those whose
// action would change. The allow-sender result is the stored one.
func (s *Store) ReplayWhatIf(ctx context.Context, o WhatIfOptions) (WhatIf, error) {
	if o.Examples <= 0 {
		o.Examples = 5
	}
	f := o.Filter
	f.Sort, f.Reverse, f.Limit, f.Cursor = "", false, 0, ""
	where, args, err := f.where(false, nil, s.db.IsPostgres())
	if err != nil {
		return WhatIf{}, fmt.Errorf("what-if: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.message, r.received, r.sender, r.recipient, m.subject, m.size, m.findings,
		r.verdict, r.action, r.sender_allowed FROM history_recipients r JOIN history_messages m ON m.id = r.message
		WHERE m.stage = 'data' AND m.outbound = 0 AND r.action IN ('pass', 'tag', 'quarantine', 'delete', 'reject') AND `+
		strings.Join(where, " AND ")+` ORDER BY r.message`, args...)
	if err != nil {
		return WhatIf{}, fmt.Errorf("what-if: %w", err)
	}
	defer rows.Close()
	var out WhatIf
	changes := map[string]*Change{}
	var lastMsg int64 = -1
	var findings []scan.Finding
	for rows.Next() {
		var ex Example
		var t, size int64
		var stored, action string
		var allowed bool
		if err := rows.Scan(&ex.ID, &t, &ex.Sender, &ex.Recipient, &ex.Subject, &size, &stored, &ex.WasVerdict, &action,
			&allowed); err != nil {
			return out, fmt.Errorf("what-if: %w", err)
		}
		if ex.ID != lastMsg {
			if findings, err = decodeFindings(stored); err != nil {
				return out, fmt.Errorf("what-if: message %d: findings: %w", ex.ID, err)
			}
			lastMsg = ex.ID
		}
		res, err := o.Resolve(ctx, ex.Recipient)
		if err != nil {
			return out, fmt.Errorf("what-if: %w", err)
		}
		tr := policy.Treat(ex.Recipient, policy.Decision{Outcome: policy.Accept, Recipient: ex.Recipient, Policy: res,
			SenderAllowed: allowed}, findings, size)
		out.Replayed++
		was := action
		if was == "reject" { // refused whole for size: the milter quarantines over-size copies otherwise
			was = string(settings.ActionQuarantine)
		}
		would := string(tr.Action)
		if would == was {
			continue
		}
		out.Changed++
		key := action + "\x00" + would
		c := changes[key]
		if c == nil {
			c = &Change{From: action, To: would}
			changes[key] = c
		}
		c.Count++
		if len(c.Examples) < o.Examples {
			ex.Time = time.Unix(t, 0).UTC()
			ex.Score, ex.Threshold, ex.WouldVerdict = tr.Verdict.Score, tr.Verdict.Threshold, string(tr.Verdict.Category)
			c.Examples = append(c.Examples, ex)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("what-if: %w", err)
	}
	for _, c := range changes {
		out.Changes = append(out.Changes, *c)
	}
	sort.Slice(out.Changes, func(i, j int) bool {
		a, b := out.Changes[i], out.Changes[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.From+a.To < b.From+b.To
	})
	return out, nil
}
