package policy_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/settings/settingstest"
)

// TestOutboundMessage: a message is outbound when the core relays every
// recipient (the milter's rule; the policy daemon answers per recipient).
func TestOutboundMessage(t *testing.T) {
	ctx := context.Background()
	s, _ := settingstest.Open(t)
	for _, d := range []settings.Domain{
		{Name: "a.example", Relay: "mx.a.example", RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		{Name: "b.example", Relay: "mx.b.example"},
	} {
		if err := s.AddDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	res, err := settings.NewResolver(s, nil, settings.Policy{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	core := policy.New(policy.Config{Resolver: res, Relay: settings.NewRelayIndex(s, nil)})
	relay, outside := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("203.0.113.7")
	for _, tc := range []struct {
		name   string
		client netip.Addr
		sender string
		rcpts  []string
		want   bool
	}{
		{"all recipients outside", relay, "u@a.example", []string{"x@gmail.example", "y@Other.Example"}, true},
		{"IPv4-mapped client", netip.MustParseAddr("::ffff:192.0.2.7"), "u@a.example", []string{"x@gmail.example"}, true},
		{"one customer recipient", relay, "u@a.example", []string{"x@gmail.example", "v@b.example"}, false},
		{"own domain's recipient", relay, "u@a.example", []string{"w@A.example"}, false},
		{"null sender", relay, "", []string{"x@gmail.example"}, false},
		{"foreign sender", relay, "eve@evil.example", []string{"x@gmail.example"}, false},
		{"outside client", outside, "u@a.example", []string{"x@gmail.example"}, false},
		{"unparsable recipient counts as served", relay, "u@a.example", []string{"postmaster"}, false},
		{"no recipients", relay, "u@a.example", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := len(tc.rcpts) > 0
			for _, r := range tc.rcpts {
				d, err := core.Decide(ctx, policy.Request{Client: tc.client, Sender: tc.sender, Recipient: r})
				if err != nil {
					t.Fatal(err)
				}
				got = got && d.Outcome == policy.Relay
			}
			if got != tc.want {
				t.Errorf("outbound(%s, %q, %q) = %v, want %v", tc.client, tc.sender, tc.rcpts, got, tc.want)
			}
		})
	}
}

func TestOverSize(t *testing.T) {
	for _, tc := range []struct {
		size, limit int64
		want        bool
	}{{1001, 1000, true}, {1000, 1000, false}, {0, 1000, false}, {5, 0, false}} {
		if got := policy.OverSize(tc.size, tc.limit); got != tc.want {
			t.Errorf("OverSize(%d, %d) = %v, want %v", tc.size, tc.limit, got, tc.want)
		}
	}
}
