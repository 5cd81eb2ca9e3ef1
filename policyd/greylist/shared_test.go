package greylist

import (
	"context"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store/storetest"
)

// TestSharedStoreTwoGateways: two gateways' Greylisters on one database.
// A sender greylisted via A retries via B after the delay and passes
// there; B must not answer "never seen" from its key filter or its
// zero-record client cache, both built before A wrote.
func TestSharedStoreTwoGateways(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rules := Rules{Delay: 30 * time.Second, RetryWindow: 48 * time.Hour, Remember: 35 * 24 * time.Hour, AutoAllow: 1}
	gw := func() *Greylister {
		st, err := NewSQLStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		g, err := New(st, Config{Rules: rules, Shared: true, Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.rebuildFilter(ctx); err != nil { // what Run does at start
			t.Fatal(err)
		}
		return g
	}
	a, b := gw(), gw()
	check := func(g *Greylister, client, rcpt string) Result {
		t.Helper()
		r, err := g.Check(ctx, ip(client), "s@sender.example", rcpt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// B has looked at the client network once: nothing stored yet.
	if r := check(b, "198.51.100.7", "other@c.example"); r.Pass || r.Reason != "new" {
		t.Fatalf("B first: %+v", r)
	}
	if r := check(a, "198.51.100.7", "r@c.example"); r.Pass || r.Reason != "new" {
		t.Fatalf("A first: %+v", r)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	if r := check(b, "198.51.100.7", "r@c.example"); !r.Pass || r.Reason != "passed" {
		t.Fatalf("B retry after the delay: %+v; want passed (A greylisted it)", r)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The pass B recorded makes the network auto-allowed on A too.
	if r := check(a, "198.51.100.9", "third@c.example"); !r.Pass || r.Reason != "auto-allowed" {
		t.Fatalf("A after B's pass: %+v; want auto-allowed", r)
	}
}

// TestSharedSaveMerges: on a shared store a gateway's older, pending view
// of a triplet does not undo the pass another gateway wrote.
func TestSharedSaveMerges(t *testing.T) {
	ctx := context.Background()
	st, err := NewSQLStore(ctx, storetest.Open(t))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Shared() {
		t.Skip("SQLite has one writer per database; run with scripts/test-postgres.sh")
	}
	t0 := time.UnixMilli(1_700_000_000_000)
	passed := Triplet{Client: "192.0.2.0/24", Sender: "s@x", Recipient: "r@y", FirstSeen: t0,
		LastSeen: t0.Add(time.Minute), PassedAt: t0.Add(time.Minute), Attempts: 2}
	stale := passed
	stale.PassedAt, stale.LastSeen, stale.Attempts = time.Time{}, t0.Add(10*time.Second), 1
	if err := st.Save(ctx, []Triplet{passed}, []Client{{Net: "192.0.2.0/24", Passes: 3, LastSeen: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, []Triplet{stale}, []Client{{Net: "192.0.2.0/24", Passes: 1, LastSeen: t0}}); err != nil {
		t.Fatal(err)
	}
	got, _, err := st.Triplet(ctx, passed.Client, passed.Sender, passed.Recipient)
	if err != nil || !got.PassedAt.Equal(passed.PassedAt) || !got.LastSeen.Equal(passed.LastSeen) || got.Attempts != 2 {
		t.Fatalf("after a stale save: %+v, %v; want the pass kept", got, err)
	}
	cl, _, err := st.Client(ctx, "192.0.2.0/24")
	if err != nil || cl.Passes != 3 {
		t.Fatalf("client %+v, %v; want passes 3 kept", cl, err)
	}
}
