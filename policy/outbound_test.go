package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/settings/settingstest"
)

// TestOutboundSpamHeld: an authenticated user's copy to an outside
// recipient is held (quarantined, Held) when its spam score reaches the
// outbound level, whatever the global spam action; below it, or with the
// check off, it is relayed; viruses keep the global virus action; a
// recipient of a served domain is inbound and judged by its own policy.
func TestOutboundSpamHeld(t *testing.T) {
	ctx := context.Background()
	s, _ := settingstest.Open(t)
	if err := s.AddDomain(ctx, settings.Domain{Name: "a.example", Relay: "mx.a.example"}); err != nil {
		t.Fatal(err)
	}
	base := settings.Policy{SpamLevel: 3, SpamAction: settings.ActionTag, VirusAction: settings.ActionDelete,
		ContentAction: settings.ActionQuarantine}
	res, err := settings.NewResolver(s, nil, base, 10)
	if err != nil {
		t.Fatal(err)
	}
	spam := func(score float64) []scan.Finding {
		return []scan.Finding{{Scanner: "spamd", Category: scan.Spam, Rule: "X", Reason: "spam", Score: score}}
	}
	virus := []scan.Finding{{Scanner: "clamd", Category: scan.Virus, Rule: "Eicar", Reason: "virus"}}
	for _, tc := range []struct {
		name     string
		level    int
		user     string
		rcpt     string
		findings []scan.Finding
		action   settings.Action
		held     bool
	}{
		{"GTUBE held at level 1", 1, "u@a.example", "x@outside.example", spam(1000), settings.ActionQuarantine, true},
		{"at the threshold held", 1, "u@a.example", "x@outside.example", spam(12), settings.ActionQuarantine, true},
		{"below level 1 relayed untagged", 1, "u@a.example", "x@outside.example", spam(11.9), settings.ActionPass, false},
		{"level 3 holds 5 points", 3, "u@a.example", "x@outside.example", spam(5), settings.ActionQuarantine, true},
		{"check off relays spam", 0, "u@a.example", "x@outside.example", spam(1000), settings.ActionPass, false},
		{"clean relayed", 1, "u@a.example", "x@outside.example", nil, settings.ActionPass, false},
		{"virus takes the virus action", 1, "u@a.example", "x@outside.example", append(virus, spam(1000)...),
			settings.ActionDelete, false},
		{"not logged in: not held here", 1, "", "x@outside.example", spam(1000), settings.ActionTag, false},
		{"customer recipient: inbound policy", 1, "u@a.example", "v@a.example", spam(1000), settings.ActionTag, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core := policy.New(policy.Config{Resolver: res, OutboundSpamLevel: tc.level})
			d, err := core.Decide(ctx, policy.Request{Sender: "u@a.example", Recipient: tc.rcpt, AuthUser: tc.user})
			if err != nil {
				t.Fatal(err)
			}
			tr := policy.Treat(tc.rcpt, d, tc.findings, 100)
			if tr.Action != tc.action || tr.Held != tc.held {
				t.Errorf("decision %s/%s: action %s held %v, want %s held %v (verdict %s score %.1f)",
					d.Outcome, d.Reason, tr.Action, tr.Held, tc.action, tc.held, tr.Verdict.Category, tr.Verdict.Score)
			}
		})
	}
}

// TestOutboundAlert: one alert for the admin naming the held recipients;
// none without an admin, a login or a held copy.
func TestOutboundAlert(t *testing.T) {
	env := policy.Envelope{QueueID: "Q1", Sender: "u@a.example", AuthUser: "u@a.example"}
	held := policy.Treatment{Address: "x@o.example", Held: true, Verdict: scan.Verdict{Category: scan.Spam, Score: 1000}}
	pass := policy.Treatment{Address: "y@o.example"}
	now := time.Unix(1700000000, 0)
	n, ok := policy.OutboundAlert(env, "Buy", "QID", "admin@a.example", now, []policy.Treatment{pass, held})
	if !ok || n.Kind != policy.NoticeOutboundSpam || n.User != "u@a.example" || len(n.To) != 1 || n.To[0] != "admin@a.example" ||
		len(n.Recipients) != 1 || n.Recipients[0] != "x@o.example" || n.Score != 1000 || n.QuarantineID != "QID" {
		t.Errorf("alert = %+v, %v", n, ok)
	}
	for name, args := range map[string]struct {
		env   policy.Envelope
		admin string
		ts    []policy.Treatment
	}{
		"no admin":  {env, "", []policy.Treatment{held}},
		"no login":  {policy.Envelope{QueueID: "Q1", Sender: "u@a.example"}, "admin@a.example", []policy.Treatment{held}},
		"none held": {env, "admin@a.example", []policy.Treatment{pass}},
	} {
		if _, ok := policy.OutboundAlert(args.env, "s", "", args.admin, now, args.ts); ok {
			t.Errorf("%s: alert made", name)
		}
	}
}
