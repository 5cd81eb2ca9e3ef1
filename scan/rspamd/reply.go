package rspamd

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock"
)

// checkReply is the part of rspamd's /checkv2 JSON reply that we use.
type checkReply struct {
	// IsSkipped means rspamd stopped early on a pre-result (GTUBE, a
	// forced action): score and action are still its verdict.
	IsSkipped     bool              `json:"is_skipped"`
	Score         *float64          `json:"score"`
	RequiredScore *float64          `json:"required_score"`
	Action        string            `json:"action"`
	Symbols       map[string]symbol `json:"symbols"`
	Messages      map[string]any    `json:"messages"`
}

type symbol struct {
	Score float64 `json:"score"`
}

// result is a checked reply.
type result struct {
	score, required float64
	action          string
	message         string // smtp_message, e.g. "Gtube pattern"
	rules           []string
}

// parseReply checks a /checkv2 reply: a JSON object with a finite score
// and required_score, an action and printable symbol names. Anything
// else is an error, never a clean result.
func parseReply(b []byte) (*result, error) {
	var r checkReply
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("bad JSON reply %q: %w", sock.Clip(string(b)), err)
	}
	if r.Score == nil || r.RequiredScore == nil || r.Action == "" {
		return nil, fmt.Errorf("reply without score, required_score or action: %q", sock.Clip(string(b)))
	}
	res := &result{score: *r.Score, required: *r.RequiredScore, action: r.Action}
	if !finite(res.score) || !finite(res.required) {
		return nil, errors.New("reply with a non-finite score")
	}
	// Admins may define their own actions: any name will do, only
	// "reject" means something here.
	if !printable(r.Action) {
		return nil, fmt.Errorf("reply with a bad action %q", sock.Clip(r.Action))
	}
	if res.action == "reject" && res.score < res.required {
		// A forced reject (a pre-result) is spam whatever the sum says.
		res.score = res.required
	}
	if m, ok := r.Messages["smtp_message"].(string); ok && printable(m) {
		res.message = sock.Clip(m)
	}
	for name, sym := range r.Symbols {
		if !printable(name) || strings.ContainsAny(name, " ,") || len(name) > 200 {
			return nil, fmt.Errorf("reply with bad symbol name %q", sock.Clip(name))
		}
		if !finite(sym.Score) {
			return nil, fmt.Errorf("symbol %s with a non-finite score", name)
		}
		// Symbols without weight are informational, unless processing
		// stopped on them (the zero-score GTUBE that forces a reject).
		if sym.Score != 0 || r.IsSkipped {
			res.rules = append(res.rules, name)
		}
	}
	// Heaviest first, then by name: a stable order for headers and tests.
	sort.Slice(res.rules, func(i, j int) bool {
		a, b := r.Symbols[res.rules[i]].Score, r.Symbols[res.rules[j]].Score
		if a != b {
			return a > b
		}
		return res.rules[i] < res.rules[j]
	})
	return res, nil
}

// finding is the one spam finding a reply makes.
func (r *result) finding() scan.Finding {
	reason := fmt.Sprintf("rspamd score %.1f (required %.1f, action %s", r.score, r.required, r.action)
	if r.message != "" {
		reason += ": " + r.message
	}
	return scan.Finding{
		Scanner:  "rspamd",
		Category: scan.Spam,
		Rule:     "RSPAMD",
		Score:    r.score,
		Value:    r.score,
		Reason:   reason + ")",
		Rules:    r.rules,
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func printable(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) < 0
}

// statusText explains a non-200 reply with rspamd's {"error": "..."} when
// there is one.
func statusText(status string, body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return status + ": " + sock.Clip(e.Error)
	}
	return status + ": " + sock.Clip(string(body))
}
