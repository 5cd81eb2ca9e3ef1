package milter

import (
	"context"
	"strings"
	"testing"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"

	"github.com/mailtower/mailtower/internal/policytest"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// TestSharedPolicyCases runs the cases both front-ends share
// (internal/policytest) through the milter: a message to the case's one
// recipient gets the table's answer, under the core decision of the
// table's outcome and reason. policyd/adapters_test.go runs the same
// cases through the policy daemon.
func TestSharedPolicyCases(t *testing.T) {
	f := newFixture(t)
	aliases := policytest.Seed(t, f.settings)
	rt := *f.filter.rt.Load()
	rt.VirusEngines = []scan.Engine{{Scanner: virusOnlyScanner{}}}
	rt.Policy = policy.New(policy.Config{Resolver: f.resolver, Relay: settings.NewRelayIndex(f.settings, nil), Aliases: aliases})
	f.filter.Reload(&rt)
	ctx := context.Background()
	for _, c := range policytest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			header := "Subject: case\r\n"
			body := "hello\r\n"
			if c.Spammy {
				body = "SPAMMY\r\n"
			}
			// Pad the message to the case's size.
			if pad := int(c.Size) - len(header) - 2 - len(body); pad > 0 {
				body += strings.Repeat("x", pad)
			}
			trx := newTrx(header, body, c.Recipient)
			trx.SetConnect(mailfilter.Connect{Family: "tcp4", Addr: c.Client, Host: "client.example"})
			authType := ""
			if c.AuthUser != "" {
				authType = "PLAIN"
			}
			trx.SetMailFrom(addr.NewMailFrom(c.Sender, "", "smtp", c.AuthUser, authType))

			ds, err := decide(ctx, rt.Policy, envelopeOf(trx), c.Size)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].Outcome != c.Outcome || ds[0].Reason != c.Reason {
				t.Fatalf("milter's decision %+v, want %s (%s)", ds, c.Outcome, c.Reason)
			}
			d, err := f.filter.Decide(ctx, trx)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			switch {
			case d == mailfilter.Accept:
				got = "accept"
			case d == mailfilter.Discard:
				got = "quarantine"
			case strings.HasPrefix(d.String(), "5"):
				got = "reject"
			default:
				got = d.String()
			}
			if got != c.Milter {
				t.Errorf("milter answers %s (%v), want %s", got, d, c.Milter)
			}
		})
	}
}
