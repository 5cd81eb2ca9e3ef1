package milter

import (
	"context"
	"strings"
	"testing"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"

	"github.com/mailtower/mailtower/internal/policytest"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/settings"
)

// TestBlockRulesAtEndOfData: mail that skipped the policy daemon (a
// client in mynetworks) from a sender every recipient blocked is refused
// with the rule's reply; blocked for some recipients only, it is
// delivered to all (the milter cannot refuse single recipients after
// DATA, and must not drop them unseen).
func TestBlockRulesAtEndOfData(t *testing.T) {
	f := newFixture(t)
	aliases := policytest.Seed(t, f.settings) // valid.example blocks spam@bad.example
	rt := *f.filter.rt.Load()
	rt.Policy = policy.New(policy.Config{Resolver: f.resolver, Relay: settings.NewRelayIndex(f.settings, nil), Aliases: aliases})
	f.filter.Reload(&rt)
	for _, tc := range []struct {
		name   string
		rcpts  []string
		reject bool
	}{
		{"every recipient blocked", []string{"carol@valid.example", "bob@valid.example"}, true},
		{"one of two blocked", []string{"carol@valid.example", "anyone@catch.example"}, false},
		{"the domain's rule blocks an unknown user too", []string{"carol@valid.example", "nobody@valid.example"}, true},
		{"blocked and a domain not served", []string{"carol@valid.example", "x@elsewhere.example"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trx := newTrx("Subject: hi\r\n", "hello\r\n", tc.rcpts...)
			trx.SetConnect(mailfilter.Connect{Family: "tcp4", Addr: "127.0.0.1", Host: "localhost"})
			trx.SetMailFrom(addr.NewMailFrom("spam@bad.example", "", "smtp", "", ""))
			d, err := f.filter.Decide(context.Background(), trx)
			if err != nil {
				t.Fatal(err)
			}
			rejected := strings.HasPrefix(d.String(), "550 5.7.1 Sender <spam@bad.example> is blocked by rule ")
			if rejected != tc.reject || (!tc.reject && d != mailfilter.Accept) {
				t.Fatalf("decision %v, want reject %v", d, tc.reject)
			}
		})
	}
}
