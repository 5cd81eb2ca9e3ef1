package settings

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestImportUsers(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.AddDomain(ctx, Domain{Name: "example.com", Relay: "mx.example.net"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, User{Address: "old@example.com", Domain: "example.com"}); err != nil {
		t.Fatal(err)
	}
	in := "# staff\nAlice@Example.com\n\nbob@example.com\nalice@example.com\nold@example.com\nnot an address\nx@other.example\n"
	res, err := s.ImportUsers(ctx, "example.com", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Added, ",") != "alice@example.com,bob@example.com" {
		t.Errorf("added %v", res.Added)
	}
	want := []ImportSkip{
		{5, "alice@example.com", "duplicate of line 2"},
		{6, "old@example.com", "user exists already"},
		{7, "not an address", `address "not an address": want local@domain`},
		{8, "x@other.example", "not an address of example.com"},
	}
	if len(res.Skipped) != len(want) {
		t.Fatalf("skipped %+v", res.Skipped)
	}
	for i, w := range want {
		if res.Skipped[i] != w {
			t.Errorf("skip %d: %+v, want %+v", i, res.Skipped[i], w)
		}
	}
	if _, err := s.ImportUsers(ctx, "nowhere.example", strings.NewReader("a@nowhere.example")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown domain: %v", err)
	}
}

func TestOutboundDomain(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for _, d := range []Domain{
		{Name: "a.example", Relay: "mx.a.example", RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		{Name: "b.example", Relay: "mx.b.example", RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.128/25")}},
		{Name: "c.example", Relay: "mx.c.example"},
	} {
		if err := s.AddDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	x := NewRelayIndex(s, nil)
	for _, tc := range []struct {
		client, sender string
		domain         string // OutboundDomain
		outbound       string // OutboundSender of the index's domains; "" = not outbound
	}{
		{"192.0.2.1", "u@a.example", "a.example", "a.example"},
		{"192.0.2.200", "u@a.example", "b.example", "a.example"}, // shared network: both domains may send
		{"192.0.2.200", "u@B.example", "b.example", "b.example"},
		{"192.0.2.200", "", "b.example", ""}, // the null sender is never enough
		{"192.0.2.200", "<>", "b.example", ""},
		{"192.0.2.1", "u@b.example", "a.example", ""},
		{"192.0.2.1", "u@xa.example", "a.example", ""},
		{"::ffff:192.0.2.1", "u@sub.a.example", "a.example", "a.example"},
		{"198.51.100.1", "u@a.example", "", ""},
	} {
		a := netip.MustParseAddr(tc.client)
		d, ok, err := s.OutboundDomain(ctx, a)
		if err != nil || d != tc.domain || ok != (tc.domain != "") {
			t.Errorf("OutboundDomain(%s) = %q %v %v, want %q", tc.client, d, ok, err, tc.domain)
		}
		ds, err := x.OutboundDomains(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		d, ok = OutboundSender(ds, tc.sender)
		if d != tc.outbound || ok != (tc.outbound != "") {
			t.Errorf("OutboundSender(%s, %s) = %q %v, want %q", tc.client, tc.sender, d, ok, tc.outbound)
		}
	}
}
