// Package heuristics is mailtower's built-in rule engine: named,
// network-free checks of a message's header sanity and structure, each a
// spam finding with a score on SpamAssassin's points scale, plus DKIM and
// DMARC checks when DNS is available and enabled.
//
// The scores are modest on purpose: no rule alone reaches the level 3
// threshold (5 points); they add to the Bayes engine's and spamd's
// evidence. They were checked against the easy-ham-1 / spam-1 evaluation
// corpus (scripts/eval.sh) for false positives.
package heuristics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
)

// Rule is a named check and the points it adds when it fires.
type Rule struct {
	Name  string
	Score float64
	// Doc says what the rule means, for the docs and the finding's reason.
	Doc string
}

// Rules is every rule of the engine, by name.
var Rules = map[string]Rule{}

func rule(name string, score float64, doc string) Rule {
	r := Rule{Name: name, Score: score, Doc: doc}
	Rules[name] = r
	return r
}

// Scanner runs the rules as the scan.Scanner "heuristics".
type Scanner struct {
	lim  mimewalk.Limits
	now  func() time.Time
	auth *authChecker
	log  *slog.Logger
}

var _ scan.Scanner = (*Scanner)(nil)

// Options configure a Scanner.
type Options struct {
	// Walk bounds the MIME walk.
	Walk mimewalk.Limits
	// Auth enables DKIM/DMARC checks with this DNS resolver; nil = off.
	Auth Resolver
	// DNSTimeout bounds one message's DNS look-ups.
	DNSTimeout time.Duration
	// Log receives DNS problems (never a finding); nil = slog.Default.
	Log *slog.Logger
}

// New returns the scanner.
func New(o Options) *Scanner {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Scanner{lim: o.Walk, now: time.Now, log: o.Log}
	if o.Auth != nil {
		s.auth = &authChecker{res: o.Auth, timeout: o.DNSTimeout, log: o.Log}
	}
	return s
}

// Name implements scan.Scanner.
func (s *Scanner) Name() string { return "heuristics" }

// Scan implements scan.Scanner.
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	m, err := msg.Walk(s.lim)
	if err != nil {
		return nil, fmt.Errorf("heuristics: read message: %w", err)
	}
	var hits []hit
	fire := func(r Rule, detail string) { hits = append(hits, hit{r, detail}) }
	env := msg.Envelope
	checkHeaders(m, s.now(), env.QueueID != "" || env.ClientAddr != "", fire)
	checkStructure(m, fire)
	if s.auth != nil {
		s.auth.check(ctx, msg, fromDomain(m.Header), fire)
	}
	out := make([]scan.Finding, 0, len(hits))
	for _, h := range hits {
		reason := h.rule.Doc
		if h.detail != "" {
			reason += ": " + h.detail
		}
		out = append(out, scan.Finding{Scanner: s.Name(), Category: scan.Spam, Rule: h.rule.Name, Score: h.rule.Score, Reason: reason})
	}
	return out, nil
}

type hit struct {
	rule   Rule
	detail string
}

// firer records a rule that fired with an optional detail.
type firer func(r Rule, detail string)
