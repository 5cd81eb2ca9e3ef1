package quarantine

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// retry is the same message as Postfix hands it to the milter on a
// retried transaction: new queue id, new Received header, same rest.
func retry(queueID string) string {
	return "Received: from client.example (client.example [192.0.2.1])\r\n" +
		"\tby gw.test (Postfix) with ESMTP id " + queueID + "\r\n" +
		"\tfor <bob@x.test>; Sun, 22 Nov 2026 06:00:0" + queueID[len(queueID)-1:] + " +0000\r\n" +
		"From: a@example.org\r\nSubject: buy\r\nMessage-ID: <1@example.org>\r\n\r\nSPAMMY\r\n"
}

// putAs stores raw for rcpts as spam (the queue id plays no part).
func putAs(t *testing.T, s *Store, sender, raw string, rcpts ...string) string {
	t.Helper()
	var rs []Recipient
	for _, r := range rcpts {
		rs = append(rs, Recipient{Address: r, Category: scan.Spam, Reason: "spam", Score: 9})
	}
	return put(t, s, sender, "buy", raw, rs...)
}

func TestPutStoresARetriedMessageOnce(t *testing.T) {
	filesOnly(t)
	s, dir := newStore(t)
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	first := putAs(t, s, "a@example.org", retry("4AAA1"), "bob@x.test", "carol@x.test")
	now = now.Add(10 * time.Minute)
	// The retry: another queue id and Received header, recipients in
	// another order and case.
	second := putAs(t, s, "A@example.org", retry("4BBB2"), "Carol@x.test", "bob@x.test")
	if second != first {
		t.Fatalf("retried message stored again as %s (first %s)", second, first)
	}
	items, err := s.List(context.Background(), Filter{})
	if err != nil || len(items) != 2 {
		t.Fatalf("%d items (%v), want 2 (one per recipient, once)", len(items), err)
	}
	files := 0
	filepath.WalkDir(filepath.Join(dir, "quarantine"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".eml") {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Fatalf("%d message files, want 1", files)
	}

	for _, tc := range []struct {
		name, sender, raw string
		rcpts             []string
		later             time.Duration
	}{
		{"other content", "a@example.org", strings.Replace(retry("4C"), "SPAMMY", "SPAMMY!", 1), []string{"bob@x.test", "carol@x.test"}, 0},
		{"other header", "a@example.org", strings.Replace(retry("4D"), "Subject: buy", "Subject: sell", 1), []string{"bob@x.test", "carol@x.test"}, 0},
		{"other sender", "b@example.org", retry("4E"), []string{"bob@x.test", "carol@x.test"}, 0},
		{"other recipients", "a@example.org", retry("4F"), []string{"bob@x.test"}, 0},
		{"after the window", "a@example.org", retry("4G"), []string{"bob@x.test", "carol@x.test"}, DedupeWindow + time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = now.Add(tc.later)
			if id := putAs(t, s, tc.sender, tc.raw, tc.rcpts...); id == first {
				t.Fatalf("a different message was merged into %s", first)
			}
		})
	}
}

func TestContentHashSkipsReceived(t *testing.T) {
	base := "From: a@example.org\r\nSubject: x\r\n\r\nbody\r\nReceived: in the body counts\r\n"
	digest := func(raw string, chunk int) string {
		c := newContentHash()
		for len(raw) > 0 {
			n := min(chunk, len(raw))
			c.Write([]byte(raw[:n]))
			raw = raw[n:]
		}
		return c.sum()
	}
	want := digest(base, 1<<20)
	for _, tc := range []struct {
		name, raw string
		same      bool
	}{
		{"two Received fields with continuations", "Received: from a\r\n\tby b; date\r\nRECEIVED : x\r\n " + "y\r\n" + base, true},
		{"Received between other fields", "From: a@example.org\r\nreceived: z\r\nSubject: x\r\n\r\nbody\r\nReceived: in the body counts\r\n", true},
		{"Received in the body is content", strings.Replace(base, "Received: in the body", "Received: IN the body", 1), false},
		{"Received-SPF is not a trace field", "Received-SPF: pass\r\n" + base, false},
		{"other field", "X-Other: 1\r\n" + base, false},
	} {
		for _, chunk := range []int{1, 7, 1 << 20} {
			if got := digest(tc.raw, chunk) == want; got != tc.same {
				t.Errorf("%s (chunks of %d): same digest = %v, want %v", tc.name, chunk, got, tc.same)
			}
		}
	}
	if digest("Subject: only a header\n", 3) != digest("Subject: only a header\nReceived: x\n", 3) {
		t.Error("header-only message: Received not left out")
	}
}

// FuzzContentHash: the digest never depends on how the message is cut
// into writes, and adding a Received field never changes it.
func FuzzContentHash(f *testing.F) {
	f.Add([]byte("From: a\r\nReceived: x\r\n y\r\n\r\nbody"), 3)
	f.Add([]byte("\n\nbody"), 1)
	f.Add([]byte("Subject: x\n"), 2)
	f.Fuzz(func(t *testing.T, raw []byte, chunk int) {
		chunk = 1 + abs(chunk)%64
		whole := newContentHash()
		whole.Write(raw)
		parts := newContentHash()
		for b := raw; len(b) > 0; {
			n := min(chunk, len(b))
			parts.Write(b[:n])
			b = b[n:]
		}
		if whole.sum() != parts.sum() {
			t.Fatalf("digest depends on write sizes (chunk %d)", chunk)
		}
		if headerEnd(raw) > 0 && raw[0] != ' ' && raw[0] != '\t' { // (a leading space would continue the Received field)
			traced := newContentHash()
			traced.Write(append([]byte("Received: from somewhere\r\n"), raw...))
			if traced.sum() != whole.sum() {
				t.Fatal("a leading Received field changed the digest")
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// An entry somebody already acted on (released or deleted a copy of) is
// not a target for deduplication: the identical message is stored anew,
// so it does not vanish into an item the user has dealt with.
func TestPutStoresAgainAfterAnEntryWasActedOn(t *testing.T) {
	s, _ := newStore(t)
	first := putAs(t, s, "a@example.org", retry("4AAA1"), "bob@x.test", "carol@x.test")
	if _, err := s.Delete(context.Background(), first, []string{"bob@x.test"}, "test"); err != nil {
		t.Fatal(err)
	}
	second := putAs(t, s, "a@example.org", retry("4BBB2"), "bob@x.test", "carol@x.test")
	if second == first {
		t.Fatalf("the message was merged into %s, whose copy for bob was already deleted", first)
	}
	items, err := s.List(context.Background(), Filter{Recipient: "bob@x.test"})
	if err != nil || len(items) != 1 || items[0].ID != second {
		t.Fatalf("bob's quarantine: %+v (%v), want the new entry %s", items, err, second)
	}
}
