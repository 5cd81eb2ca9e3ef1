package milter

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"

	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// recordingWatcher records the outbound events (OutboundWatcher).
type recordingWatcher struct {
	verdicts []string
	held     []string
	alerts   []policy.Notice
}

func (w *recordingWatcher) Verdict(v scan.Category, a settings.Action) {
	w.verdicts = append(w.verdicts, string(v)+"/"+string(a))
}
func (w *recordingWatcher) Held(user, qid string) { w.held = append(w.held, user+" "+qid) }
func (w *recordingWatcher) Alert(_ context.Context, n policy.Notice) {
	w.alerts = append(w.alerts, n)
}

// TestOutboundSpamHeld: an authenticated user's spam to an outside
// recipient is scanned by the outbound engines (the spam engines too),
// kept in the quarantine marked as held outbound mail, refused with
// 550 5.7.1, counted for the held-spam limit and alerted to the admin of
// the user's domain; clean mail is relayed; a message with a customer's
// recipient too is accepted for that recipient while the outside copy
// is held.
func TestOutboundSpamHeld(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		rcpts    []string
		decision mailfilter.Decision
		held     bool
	}{
		{"spam to the outside is held and refused", "SPAMMY\r\n", []string{"x@outside.example"}, reply(smtpreply.OutboundSpam), true},
		{"clean mail is relayed", "hello\r\n", []string{"x@outside.example"}, mailfilter.Accept, false},
		{"customer recipient gets its copy", "SPAMMY\r\n", []string{"x@outside.example", "bob@tag.test"}, mailfilter.Accept, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			admin := "admin@example.org"
			if err := f.settings.AddDomain(ctx, settings.Domain{Name: "example.org", Relay: "127.0.0.1:2525",
				Overrides: settings.Overrides{Admin: &admin}}); err != nil {
				t.Fatal(err)
			}
			w := &recordingWatcher{}
			rt := *f.filter.rt.Load()
			rt.VirusEngines = []scan.Engine{{Scanner: virusOnlyScanner{}}}
			rt.OutboundEngines = rt.Engines // the keyword scanner finds the spam
			rt.Policy = policy.New(policy.Config{Resolver: f.resolver, OutboundSpamLevel: 1})
			rt.Outbound = w
			f.filter.Reload(&rt)
			trx := newTrx("Subject: offer\r\n", tc.body, tc.rcpts...)
			trx.SetMailFrom(addr.NewMailFrom("sender@example.org", "", "smtp", "sender@example.org", "PLAIN"))
			d, err := f.filter.Decide(ctx, trx)
			if err != nil || fmt.Sprint(d) != fmt.Sprint(tc.decision) {
				t.Fatalf("decision %v %v, want %v\n%s", d, err, tc.decision, mods(trx))
			}
			items, err := f.q.List(ctx, quarantine.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.held {
				if len(items) != 0 || len(w.held) != 0 || len(w.alerts) != 0 || len(w.verdicts) != 1 || w.verdicts[0] != "clean/pass" {
					t.Fatalf("clean mail: %d quarantined, watcher %+v", len(items), w)
				}
				return
			}
			var outside []quarantine.Item
			for _, it := range items {
				if it.Recipient == "x@outside.example" {
					outside = append(outside, it)
				}
			}
			if len(outside) != 1 || outside[0].Category != scan.Spam ||
				!strings.HasPrefix(outside[0].Reason, "outbound spam held, sent by sender@example.org: ") {
				t.Fatalf("quarantine %+v, want the outside copy held as outbound spam", items)
			}
			if len(w.held) != 1 || w.held[0] != "sender@example.org 4ABCDEF" || len(w.verdicts) != 1 || w.verdicts[0] != "spam/quarantine" {
				t.Errorf("watcher %+v", w)
			}
			if len(w.alerts) != 1 || w.alerts[0].To[0] != admin || w.alerts[0].QuarantineID != outside[0].ID ||
				len(w.alerts[0].Recipients) != 1 || w.alerts[0].Recipients[0] != "x@outside.example" {
				t.Errorf("alerts %+v", w.alerts)
			}
			for _, r := range trx.RcptTos() {
				if r.Addr == "x@outside.example" && tc.decision == mailfilter.Accept {
					t.Errorf("the held recipient stays in the relayed transaction\n%s", mods(trx))
				}
			}
		})
	}
}
