package milter

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// withOutboundRule gives the fixture the real outbound rule (as cli wires
// it), with example.org sending from 192.0.2.0/24, the fixture's client.
func withOutboundRule(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	if err := f.settings.AddDomain(ctx, settings.Domain{Name: "example.org", Relay: "127.0.0.1:2525",
		RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}); err != nil {
		t.Fatal(err)
	}
	rt := *f.filter.rt.Load()
	rt.VirusEngines = []scan.Engine{{Scanner: virusOnlyScanner{}}}
	rt.Policy = policy.New(policy.Config{Resolver: f.resolver, Relay: settings.NewRelayIndex(f.settings, nil)})
	f.filter.Reload(&rt)
}

func TestRelayNetOutboundRule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sender   string
		rcpts    []string
		decision mailfilter.Decision
		scanned  string // X-Mailtower-Scanned of the copy Postfix delivers; "" = not checked
		tagged   bool
	}{
		{"null sender to a customer is inbound", "", []string{"bob@q.test"}, mailfilter.Discard, "", false},
		{"own sender to a customer is inbound", "sender@example.org", []string{"bob@tag.test"}, mailfilter.Accept,
			"by mailtower on gw.test (keywords)", true},
		{"own sender to the outside is outbound", "sender@example.org", []string{"x@outside.example"}, mailfilter.Accept,
			"by mailtower on gw.test (virus-only)", false},
		{"null sender to the outside is not outbound", "", []string{"x@outside.example"}, mailfilter.Discard, "", false},
		{"mixed recipients: the customer's copy is scanned", "sender@example.org",
			[]string{"x@outside.example", "bob@tag.test"}, mailfilter.Accept, "by mailtower on gw.test (keywords)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			withOutboundRule(t, f)
			trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", tc.rcpts...)
			trx.SetMailFrom(addr.NewMailFrom(tc.sender, "", "smtp", "", ""))
			d, err := f.filter.Decide(context.Background(), trx)
			if err != nil || d != tc.decision {
				t.Fatalf("decision %v %v, want %v\n%s", d, err, tc.decision, mods(trx))
			}
			if tc.scanned != "" {
				if got := strings.TrimSpace(trx.Headers().Value("X-Mailtower-Scanned")); got != tc.scanned {
					t.Errorf("X-Mailtower-Scanned %q, want %q", got, tc.scanned)
				}
			}
			subj, _ := trx.Headers().Subject()
			if tagged := strings.Contains(subj, SpamTag); tagged != tc.tagged {
				t.Errorf("subject %q: tagged %v, want %v", subj, tagged, tc.tagged)
			}
		})
	}
}

// An engine skipped for the message's size did not scan it: the header
// must not name it.
func TestScannedHeaderNamesOnlyEnginesThatRan(t *testing.T) {
	f := newFixture(t)
	rt := *f.filter.rt.Load()
	rt.Engines = append(rt.Engines, scan.Engine{Scanner: virusOnlyScanner{}, MaxSize: 1})
	f.filter.Reload(&rt)
	trx := newTrx("Subject: hi\r\n", "hello\r\n", "bob@q.test")
	if d, err := f.filter.Decide(context.Background(), trx); err != nil || d != mailfilter.Accept {
		t.Fatalf("decision %v %v", d, err)
	}
	if got, want := strings.TrimSpace(trx.Headers().Value("X-Mailtower-Scanned")), "by mailtower on gw.test (keywords)"; got != want {
		t.Errorf("X-Mailtower-Scanned %q, want %q", got, want)
	}
}
