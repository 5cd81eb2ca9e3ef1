package policyd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		req          Request
		action       string // exact, or prefix when it ends in "*"
		reason       string
		wantNotRelay bool
	}{
		{"outbound from relay net", rcpt("192.0.2.5", "alice@valid.example", "x@gmail.example"), "OK", "outbound", false},
		{"outbound from relay net ipv6", rcpt("2001:db8:1::25", "alice@valid.example", "x@gmail.example"), "OK", "outbound", false},
		{"outbound subdomain sender", rcpt("192.0.2.5", "alice@eu.valid.example", "x@gmail.example"), "OK", "outbound", false},
		{"relay net, null sender is never outbound", rcpt("192.0.2.5", "", "x@gmail.example"),
			"554 5.7.1 Relay not permitted for sender <> from 192.0.2.5", "relay-denied", false},
		{"relay net, own sender to a customer is inbound", rcpt("192.0.2.5", "alice@valid.example", "nobody@valid.example"),
			"550 5.1.1 <nobody@valid.example>: User unknown", "unknown-user", false},
		{"relay net, null sender to another customer is inbound", rcpt("192.0.2.5", "", "nobody@valid.example"),
			"550 5.1.1 *", "unknown-user", false},
		{"relay net, null sender to catch-all is greylisted", rcpt("192.0.2.5", "", "y@catch.example"),
			"450 4.7.1 *", "greylisted", false},
		{"relay net, own sender over a customer's size limit", rcpt("192.0.2.5", "alice@valid.example", "bob@valid.example", "size", "5000"),
			"552 5.3.4 *", "size", false},
		{"relay net, foreign sender", rcpt("192.0.2.5", "eve@other.example", "x@gmail.example"),
			"554 5.7.1 Relay not permitted for sender <eve@other.example> from 192.0.2.5", "relay-denied", false},
		{"relay net, lookalike sender domain", rcpt("192.0.2.5", "eve@evilvalid.example", "x@gmail.example"), "554 5.7.1 *", "relay-denied", false},
		{"relay net, foreign sender to a local user is inbound", rcpt("192.0.2.5", "eve@other.example", "bob@valid.example"), "DUNNO", "pass", false},
		{"relay net, foreign sender to catch-all is greylisted", rcpt("192.0.2.5", "eve@other.example", "x@catch.example"), "450 4.7.1 *", "greylisted", false},
		{"outside client, foreign domain", rcpt("203.0.113.1", "a@valid.example", "x@gmail.example"), "DUNNO", "not-local", false},
		{"bare local part", rcpt("203.0.113.1", "a@b.example", "postmaster"), "DUNNO", "not-local", false},
		{"known user", rcpt("203.0.113.1", "a@b.example", "bob@valid.example"), "DUNNO", "pass", false},
		{"known user, case", rcpt("203.0.113.1", "a@b.example", "Bob@Valid.Example"), "DUNNO", "pass", false},
		{"known user, quoted", rcpt("203.0.113.1", "a@b.example", `"bob"@valid.example`), "DUNNO", "pass", false},
		{"known user +ext", rcpt("203.0.113.1", "a@b.example", "bob+news@valid.example"), "DUNNO", "pass", false},
		{"alias", rcpt("203.0.113.1", "a@b.example", "sales@valid.example"), "DUNNO", "pass", false},
		{"alias +ext", rcpt("203.0.113.1", "a@b.example", "sales+q3@valid.example"), "DUNNO", "pass", false},
		{"unknown user", rcpt("203.0.113.1", "a@b.example", "nobody@valid.example"),
			"550 5.1.1 <nobody@valid.example>: User unknown", "unknown-user", false},
		{"blocked ip (global)", rcpt("198.51.100.7", "a@b.example", "bob@valid.example"),
			"550 5.7.1 Client 198.51.100.7 is blocked by rule * (block-ip 198.51.100.0/24, scope global)", "block-ip", false},
		{"blocked ip also for catch-all", rcpt("198.51.100.7", "a@b.example", "x@catch.example"), "550 5.7.1 Client *", "block-ip", false},
		{"blocked sender (domain scope)", rcpt("203.0.113.1", "Spam@Bad.example", "carol@valid.example"),
			"550 5.7.1 Sender <Spam@Bad.example> is blocked by rule *", "block-sender", false},
		{"blocked sender +ext", rcpt("203.0.113.1", "spam+x@bad.example", "carol@valid.example"), "550 5.7.1 Sender *", "block-sender", false},
		{"blocked sender, BATV", rcpt("203.0.113.1", "prvs=1234abcdef=spam@bad.example", "carol@valid.example"), "550 5.7.1 Sender *", "block-sender", false},
		{"blocked sender, other domain's recipient", rcpt("203.0.113.1", "spam@bad.example", "x@catch.example"), "450 4.7.1 *", "greylisted", false},
		{"blocked sender domain (user scope)", rcpt("203.0.113.1", "x@mail.worse.example", "bob@valid.example"),
			"550 5.7.1 Sender domain mail.worse.example is blocked by rule *", "block-sender-domain", false},
		{"blocked sender domain, other user", rcpt("203.0.113.1", "x@mail.worse.example", "carol@valid.example"), "DUNNO", "pass", false},
		{"size over the user's limit", rcpt("203.0.113.1", "a@b.example", "bob@valid.example", "size", "5000"),
			"552 5.3.4 Message size exceeds the limit for <bob@valid.example>", "size", false},
		{"size within the default limit", rcpt("203.0.113.1", "a@b.example", "carol@valid.example", "size", "5000"), "DUNNO", "pass", false},
		{"catch-all first attempt", rcpt("203.0.113.1", "a@b.example", "anyone@catch.example"),
			"450 4.7.1 Greylisted, please try again in 30 seconds", "greylisted", false},
		{"allow-listed sender skips greylisting", rcpt("203.0.113.1", "friend@good.example", "anyone@catch.example"), "DUNNO", "allowed-sender", false},
		{"allow-listed sender domain", rcpt("203.0.113.1", "x@trusted.example", "anyone@catch.example"), "DUNNO", "allowed-sender", false},
		{"allow-listed sender still validated", rcpt("203.0.113.1", "friend@good.example", "nobody@valid.example"), "550 5.1.1 *", "unknown-user", false},
		{"not at RCPT", Request{"request": "smtpd_access_policy", "protocol_state": "DATA"}, "DUNNO", "not-rcpt", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec, err := f.d.Decider.Decide(ctx, tc.req)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if !matchAction(dec.Action, tc.action) || dec.Reason != tc.reason {
				t.Errorf("got %q (%s), want %q (%s)", dec.Action, dec.Reason, tc.action, tc.reason)
			}
			if dec.Action == ActionOK && tc.reason != "outbound" {
				t.Errorf("OK answered for %s: only outbound relay may be OK", tc.name)
			}
		})
	}
}

// matchAction compares exactly, or by segments around "*".
func matchAction(got, want string) bool {
	parts := strings.Split(want, "*")
	if len(parts) == 1 {
		return got == want
	}
	rest := got
	for i, p := range parts {
		j := strings.Index(rest, p)
		if j < 0 || (i == 0 && j != 0) {
			return false
		}
		rest = rest[j+len(p):]
	}
	return true
}

func TestDecideRejectsBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, req := range []Request{
		{"protocol_state": "RCPT", "recipient": "bob@valid.example"},
		{"request": "junk", "protocol_state": "RCPT", "recipient": "bob@valid.example"},
	} {
		if dec, err := f.d.Decider.Decide(context.Background(), req); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: got %+v, %v; want ErrMalformed", req, dec, err)
		}
	}
}

func TestSettingsChangesAreSeen(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := rcpt("203.0.113.1", "a@b.example", "dave@valid.example")
	if dec, _ := f.d.Decider.Decide(ctx, req); dec.Reason != "unknown-user" {
		t.Fatalf("before: %+v", dec)
	}
	f.clock.Add(time.Second) // past the generation TTL
	if err := f.aliasS.Add(ctx, Alias{Address: "dave@valid.example"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second)
	if dec, _ := f.d.Decider.Decide(ctx, req); dec.Reason != "pass" {
		t.Fatalf("after adding an alias: %+v (cache not invalidated)", dec)
	}
}
