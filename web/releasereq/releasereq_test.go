package releasereq

import (
	"errors"
	"testing"

	"github.com/mailtower/mailtower/store/storetest"
)

func TestRequests(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t) // SQLite, or PostgreSQL under scripts/test-postgres.sh
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	r := Request{Message: "m1", Recipient: "bob@a.test", Domain: "a.test", RequestedBy: "bob@a.test", Remember: true}
	if created, err := s.Ask(ctx, r); err != nil || !created {
		t.Fatalf("ask: %v %v", created, err)
	}
	if created, err := s.Ask(ctx, r); err != nil || created {
		t.Fatalf("asking twice while pending: %v %v", created, err)
	}
	if n, _ := s.CountPending(ctx, "a.test"); n != 1 {
		t.Fatalf("pending %d", n)
	}
	p, err := s.Pending(ctx, "a.test", 10)
	if err != nil || len(p) != 1 || !p[0].Remember || p[0].State != Pending {
		t.Fatalf("pending: %+v %v", p, err)
	}
	id := p[0].ID
	// Another domain's admin does not find it, nor decide on it.
	if _, err := s.Get(ctx, id, "b.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get from b.test: %v", err)
	}
	if err := s.Decide(ctx, id, "b.test", Approved, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("decide from b.test: %v", err)
	}
	if err := s.Decide(ctx, id, "a.test", Approved, "boss"); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, id, "a.test", Denied, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second decision: %v", err)
	}
	if err := s.Reopen(ctx, id, "a.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, id, "a.test", Denied, "boss"); err != nil {
		t.Fatal(err)
	}
	// Denied: a new request may be made, and Close ends it.
	if created, _ := s.Ask(ctx, r); !created {
		t.Fatal("new request after a denial not created")
	}
	if err := s.Close(ctx, "m1", []string{"bob@a.test"}, "web:root"); err != nil {
		t.Fatal(err)
	}
	all, _ := s.ForMessage(ctx, "m1")
	if len(all) != 2 || all[0].State != Closed || all[1].State != Denied || all[1].DecidedBy != "boss" {
		t.Fatalf("history: %+v", all)
	}
}
