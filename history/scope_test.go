package history

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history/maillog"
)

// fillScoped writes: spam from outside to bob@a.test and carol@b.test
// (delivered to both, by different servers), a message bob sent out, a
// message to dave@a.test, and a refusal of mallory@b.test.
func fillScoped(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s := openTest(t)
	msgs := []Message{
		{Time: t0, QueueID: "1A2B3C4D01", Sender: "x@spam.example", Subject: "Cheap watches", Recipients: []Recipient{
			{Address: "bob@a.test", Verdict: "spam", Action: "tag", DeliveryQueueID: "1A2B3C4D01"},
			{Address: "carol@b.test", Verdict: "spam", Action: "tag", DeliveryQueueID: "1A2B3C4D01"}}},
		{Time: t0.Add(time.Minute), QueueID: "1A2B3C4D02", Sender: "Bob@A.test", Subject: "Lunch?", Recipients: []Recipient{
			{Address: "zed@out.example", Verdict: "clean", Action: "pass", DeliveryQueueID: "1A2B3C4D02"}}},
		{Time: t0.Add(2 * time.Minute), QueueID: "1A2B3C4D03", Sender: "x@spam.example", Subject: "Payroll", Recipients: []Recipient{
			{Address: "dave@a.test", Verdict: "clean", Action: "pass", DeliveryQueueID: "1A2B3C4D03"}}},
		{Time: t0.Add(3 * time.Minute), Stage: StageRcpt, Sender: "x@spam.example", Recipients: []Recipient{
			{Address: "mallory@b.test", Verdict: VerdictRefused, Action: "greylisted"}}},
	}
	if err := s.Write(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	var evs []maillog.Event
	for _, l := range []string{
		"Dec 05 10:00:05 gw postfix/smtp[1]: 1A2B3C4D01: to=<bob@a.test>, relay=mx.a.test[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 a-ok)",
		"Dec 05 10:00:06 gw postfix/smtp[1]: 1A2B3C4D01: to=<carol@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (b is down)",
	} {
		ev, ok := maillog.Parse(l, t0.Add(time.Hour))
		if !ok {
			t.Fatalf("not parsed: %s", l)
		}
		evs = append(evs, ev)
	}
	if err := s.LogSink("log", nil).Commit(ctx, maillog.Batch{Events: evs, Pos: maillog.Position{Inode: 1, Offset: 10}}); err != nil {
		t.Fatal(err)
	}
	return s
}

func rcptsOf(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Sender+">"+r.Recipient)
	}
	return out
}

// TestScopedSearch: a user sees the rows of mail to and from its
// address, a domain admin those of its domains, in order, paged with the
// cursor, combined with the other filters; an empty scope sees nothing.
func TestScopedSearch(t *testing.T) {
	ctx := context.Background()
	s := fillScoped(t)
	bob := &Scope{Addresses: []string{"BOB@a.test"}}
	adminA := &Scope{Addresses: []string{"boss@a.test"}, Domains: []string{"A.test"}}
	both := &Scope{Addresses: []string{"boss@a.test"}, Domains: []string{"a.test", "b.test"}}
	for _, c := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"user", Filter{Scope: bob}, []string{"bob@a.test>zed@out.example", "x@spam.example>bob@a.test"}},
		{"user, oldest first", Filter{Scope: bob, Reverse: true}, []string{"x@spam.example>bob@a.test", "bob@a.test>zed@out.example"}},
		{"user by score", Filter{Scope: bob, Sort: "score"}, []string{"bob@a.test>zed@out.example", "x@spam.example>bob@a.test"}},
		{"user and verdict", Filter{Scope: bob, Verdict: "spam"}, []string{"x@spam.example>bob@a.test"}},
		{"user and subject", Filter{Scope: bob, Subject: "lunch"}, []string{"bob@a.test>zed@out.example"}},
		{"user asking for another's mail", Filter{Scope: bob, Recipient: "carol@b.test"}, nil},
		{"domain admin", Filter{Scope: adminA}, []string{"x@spam.example>dave@a.test", "bob@a.test>zed@out.example", "x@spam.example>bob@a.test"}},
		{"domain admin, status", Filter{Scope: adminA, Status: "sent"}, []string{"x@spam.example>bob@a.test"}},
		{"two domains", Filter{Scope: both}, []string{"x@spam.example>mallory@b.test", "x@spam.example>dave@a.test",
			"bob@a.test>zed@out.example", "x@spam.example>carol@b.test", "x@spam.example>bob@a.test"}},
		{"two domains, refused", Filter{Scope: both, Verdict: "refused"}, []string{"x@spam.example>mallory@b.test"}},
		{"empty scope", Filter{Scope: &Scope{}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, err := s.Search(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := rcptsOf(rows); !slices.Equal(got, c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
			// Page by page with the cursor: the same rows, each once.
			f := c.f
			f.Limit = 1
			var paged []Row
			for i := 0; i < 10; i++ {
				page, err := s.Search(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, page...)
				if f.Cursor = f.NextCursor(page); f.Cursor == "" {
					break
				}
			}
			if got := rcptsOf(paged); !slices.Equal(got, c.want) {
				t.Fatalf("paged: %v\nwant %v", got, c.want)
			}
		})
	}
	if _, err := s.ReplayWhatIf(ctx, WhatIfOptions{Filter: Filter{Scope: bob}}); err == nil {
		t.Fatal("what-if ignored a scope")
	}
}

// TestShowScoped: another user's message id is not found; a recipient
// sees its own recipient rows and deliveries only, the sender all.
func TestShowScoped(t *testing.T) {
	ctx := context.Background()
	s := fillScoped(t)
	ids := map[string]int64{}
	rows, err := s.Search(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ids[r.QueueID+r.Recipient] = r.ID
	}
	bob := &Scope{Addresses: []string{"bob@a.test"}}
	st, err := s.ShowScoped(ctx, ids["1A2B3C4D01bob@a.test"], bob)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Recipients) != 1 || st.Recipients[0].Recipient != "bob@a.test" || len(st.Deliveries) != 1 ||
		st.Deliveries[0].Reply != "250 a-ok" {
		t.Fatalf("bob's view of Q1: %+v", st)
	}
	st, err = s.ShowScoped(ctx, ids["1A2B3C4D02zed@out.example"], bob)
	if err != nil || len(st.Recipients) != 1 || st.Recipients[0].Recipient != "zed@out.example" {
		t.Fatalf("bob's own sent message: %+v %v", st, err)
	}
	for _, id := range []int64{ids["1A2B3C4D03dave@a.test"], ids["mallory@b.test"], 0, 999} {
		if _, err := s.ShowScoped(ctx, id, bob); !errors.Is(err, ErrNotFound) {
			t.Errorf("bob opens message %d: %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.ShowScoped(ctx, ids["1A2B3C4D01bob@a.test"], &Scope{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty scope: %v", err)
	}
	st, err = s.ShowScoped(ctx, ids["1A2B3C4D01bob@a.test"], &Scope{Domains: []string{"b.test"}})
	if err != nil || len(st.Recipients) != 1 || st.Recipients[0].Recipient != "carol@b.test" || len(st.Deliveries) != 1 ||
		st.Deliveries[0].Status != "deferred" {
		t.Fatalf("b.test's view of Q1: %+v %v", st, err)
	}
	st, err = s.ShowScoped(ctx, ids["1A2B3C4D01bob@a.test"], nil)
	if err != nil || len(st.Recipients) != 2 || len(st.Deliveries) != 2 {
		t.Fatalf("admin's view of Q1: %+v %v", st, err)
	}
}
