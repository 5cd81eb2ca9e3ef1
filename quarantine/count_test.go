package quarantine

import (
	"context"
	"maps"
	"testing"

	"github.com/mailtower/mailtower/scan"
)

func TestHeldCountsQuarantinedByCategory(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	got, err := s.Held(ctx)
	if want := map[string]int64{"virus": 0, "content": 0, "spam": 0}; err != nil || !maps.Equal(got, want) {
		t.Fatalf("empty store: %v, %v; want %v", got, err, want)
	}
	put(t, s, "a@b.test", "s", "x", Recipient{Address: "a@x.test", Category: scan.Spam},
		Recipient{Address: "b@x.test", Category: scan.Spam})
	id := put(t, s, "a@b.test", "v", "y", Recipient{Address: "c@x.test", Category: scan.Virus})
	// A released or deleted copy is no longer held.
	if _, err := s.db.Exec(`UPDATE quarantine_items SET state = 'released' WHERE message_id = ?`, id); err != nil {
		t.Fatal(err)
	}
	got, err = s.Held(ctx)
	if want := map[string]int64{"virus": 0, "content": 0, "spam": 2}; err != nil || !maps.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
}
