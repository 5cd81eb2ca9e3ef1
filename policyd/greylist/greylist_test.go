package greylist

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(t *testing.T) (*Greylister, *SQLStore, *clock) {
	t.Helper()
	st, err := NewSQLStore(context.Background(), storetest.Open(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	g, err := New(st, Config{Rules: Rules{Delay: 30 * time.Second, RetryWindow: 48 * time.Hour, Remember: 35 * 24 * time.Hour,
		AutoAllow: 3}, Now: c.now, RecheckAfter: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	return g, st, c
}

var ip = netip.MustParseAddr

// step is one attempt at an offset from the previous one.
type step struct {
	after     time.Duration
	client    string
	sender    string
	recipient string
	pass      bool
	reason    string
}

func TestGreylistSequence(t *testing.T) {
	for _, flush := range []bool{false, true} {
		name := "memory"
		if flush {
			name = "store" // every step read back from SQLite after a flush and a cache reset
		}
		t.Run(name, func(t *testing.T) {
			g, _, c := newTest(t)
			steps := []step{
				{0, "203.0.113.9", "a@x.example", "r@c.example", false, "new"},
				{10 * time.Second, "203.0.113.9", "a@x.example", "r@c.example", false, "early-retry"},
				{10 * time.Second, "203.0.113.77", "a@x.example", "r@c.example", false, "early-retry"}, // same /24
				{11 * time.Second, "203.0.113.9", "a@x.example", "r@c.example", true, "passed"},
				{time.Hour, "203.0.113.9", "a@x.example", "r@c.example", true, "remembered"},
				{0, "203.0.113.9", "a@x.example", "other@c.example", false, "new"},
				{0, "203.0.114.9", "a@x.example", "r@c.example", false, "new"},              // other /24
				{72 * time.Hour, "203.0.114.9", "a@x.example", "r@c.example", false, "new"}, // past the retry window: starts over
				{30 * time.Second, "203.0.114.9", "a@x.example", "r@c.example", true, "passed"},
				{36 * 24 * time.Hour, "203.0.114.9", "a@x.example", "r@c.example", false, "new"}, // forgotten after remember
				{0, "2001:db8::1", "a@x.example", "r@c.example", false, "new"},
				{31 * time.Second, "2001:db8::ffff", "a@x.example", "r@c.example", true, "passed"}, // same /64
			}
			for i, s := range steps {
				c.t = c.t.Add(s.after)
				if flush {
					if err := g.Flush(context.Background()); err != nil {
						t.Fatal(err)
					}
					g.triplets.Purge()
					g.clients.Purge()
				}
				r, err := g.Check(context.Background(), ip(s.client), s.sender, s.recipient)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if r.Pass != s.pass || r.Reason != s.reason {
					t.Fatalf("step %d (%s %s %s): got pass=%v %s, want pass=%v %s", i, s.client, s.sender, s.recipient, r.Pass, r.Reason, s.pass, s.reason)
				}
			}
		})
	}
}

func TestRetryInCountsDown(t *testing.T) {
	g, _, c := newTest(t)
	ctx := context.Background()
	r, _ := g.Check(ctx, ip("192.0.2.1"), "a@x", "r@y")
	if r.RetryIn != 30*time.Second {
		t.Fatalf("first: retry in %v", r.RetryIn)
	}
	c.t = c.t.Add(12 * time.Second)
	r, _ = g.Check(ctx, ip("192.0.2.1"), "a@x", "r@y")
	if r.RetryIn != 18*time.Second {
		t.Fatalf("early retry: retry in %v, want 18s", r.RetryIn)
	}
}

func TestAutoAllowAndAdminAllow(t *testing.T) {
	g, st, c := newTest(t)
	ctx := context.Background()
	client := ip("198.51.100.20")
	for i := range 3 {
		rcpt := string(rune('a'+i)) + "@c.example"
		if r, _ := g.Check(ctx, client, "s@x.example", rcpt); r.Pass {
			t.Fatalf("triplet %d passed at once", i)
		}
		c.t = c.t.Add(time.Minute)
		if r, _ := g.Check(ctx, client, "s@x.example", rcpt); !r.Pass {
			t.Fatalf("triplet %d did not pass after the delay", i)
		}
	}
	if r, _ := g.Check(ctx, ip("198.51.100.99"), "new@y.example", "z@c.example"); !r.Pass || r.Reason != "auto-allowed" {
		t.Fatalf("after 3 passes the /24 should be auto-allowed: %+v", r)
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Clear(ctx, Filter{Net: netip.MustParsePrefix("198.51.100.0/24")}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	if r, _ := g.Check(ctx, ip("198.51.100.99"), "new@y.example", "z2@c.example"); r.Pass {
		t.Fatalf("cleared network still passes: %+v", r)
	}
	if err := st.AddAllow(ctx, Allow{Net: netip.MustParsePrefix("192.0.2.0/28"), Comment: "partner"}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Second)
	if r, _ := g.Check(ctx, ip("192.0.2.7"), "q@y.example", "z@c.example"); !r.Pass || r.Reason != "allowed-network" {
		t.Fatalf("admin-allowed network: %+v", r)
	}
	if r, _ := g.Check(ctx, ip("192.0.2.17"), "q@y.example", "z@c.example"); r.Pass {
		t.Fatalf("outside the allowed /28: %+v", r)
	}
}

func TestPurge(t *testing.T) {
	g, st, c := newTest(t)
	ctx := context.Background()
	g.Check(ctx, ip("192.0.2.1"), "pending@x", "r@y")
	g.Check(ctx, ip("192.0.2.2"), "passed@x", "r@y")
	c.t = c.t.Add(time.Minute)
	g.Check(ctx, ip("192.0.2.2"), "passed@x", "r@y")
	c.t = c.t.Add(49 * time.Hour)
	n, err := g.Purge(ctx, c.t)
	if err != nil || n != 1 {
		t.Fatalf("purge after the retry window: %d rows, %v; want 1 (the pending triplet)", n, err)
	}
	ts, cs, err := st.List(ctx, Filter{})
	if err != nil || len(ts) != 1 || ts[0].Sender != "passed@x" || len(cs) != 1 {
		t.Fatalf("left: %+v %+v %v", ts, cs, err)
	}
	n, err = g.Purge(ctx, c.t.Add(36*24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("purge after remember: %d, %v; want 2 (triplet and client)", n, err)
	}
}

func TestPurgeInBatches(t *testing.T) {
	_, st, c := newTest(t)
	ctx := context.Background()
	var ts []Triplet
	for i := range purgeBatch*2 + 7 {
		ts = append(ts, Triplet{Client: "192.0.2.0/24", Sender: "s@x", Recipient: fmt.Sprintf("r%d@y", i),
			FirstSeen: c.t, LastSeen: c.t, Attempts: 1})
	}
	ts = append(ts, Triplet{Client: "192.0.2.0/24", Sender: "fresh@x", Recipient: "r@y", FirstSeen: c.t.Add(47 * time.Hour), LastSeen: c.t, Attempts: 1})
	if err := st.Save(ctx, ts, nil); err != nil {
		t.Fatal(err)
	}
	n, err := st.Purge(ctx, c.t.Add(49*time.Hour), Expiry{RetryWindow: 48 * time.Hour, Remember: 840 * time.Hour})
	if err != nil || n != purgeBatch*2+7 {
		t.Fatalf("purged %d, %v; want %d", n, err, purgeBatch*2+7)
	}
	left, _, err := st.List(ctx, Filter{})
	if err != nil || len(left) != 1 || left[0].Sender != "fresh@x" {
		t.Fatalf("left %+v %v", left, err)
	}
}
