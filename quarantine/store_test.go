package quarantine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store/storetest"
)

func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	s, err := Open(context.Background(), db, dir, Retention{Virus: 14 * 24 * time.Hour, Spam: 30 * 24 * time.Hour, Content: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func put(t testing.TB, s *Store, sender, subject, body string, rcpts ...Recipient) string {
	t.Helper()
	id, err := s.Put(context.Background(), Entry{
		Envelope: scan.Envelope{QueueID: "Q1", Sender: sender, ClientAddr: "192.0.2.1", Helo: "h"},
		Subject:  subject, Raw: strings.NewReader(body), Size: int64(len(body)),
		Findings: []scan.Finding{{Scanner: "x", Category: rcpts[0].Category, Rule: "R", Reason: "why"}}, Recipients: rcpts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPutStoresFileAndRows(t *testing.T) {
	filesOnly(t)
	s, _ := newStore(t)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	body := "Subject: a\r\n\r\nbody\r\n"
	id := put(t, s, "Spammer@Example.org", "a", body,
		Recipient{Address: "a@x.test", Category: scan.Spam, Reason: "spam", Score: 9},
		Recipient{Address: "b@x.test", Category: scan.Virus, Reason: "virus"})
	items, err := s.Get(context.Background(), id)
	if err != nil || len(items) != 2 {
		t.Fatalf("get: %d items, %v", len(items), err)
	}
	if items[0].Sender != "spammer@example.org" || items[0].Expires != now.Add(30*24*time.Hour) ||
		items[1].Expires != now.Add(14*24*time.Hour) || len(items[0].Findings) != 1 {
		t.Fatalf("items %+v", items)
	}
	raw, err := os.ReadFile(s.Path(items[0].Path))
	if err != nil || string(raw) != body {
		t.Fatalf("stored file %q, %v; want the message unchanged", raw, err)
	}
	var sum string
	s.db.QueryRow(`SELECT sha256 FROM quarantine_messages WHERE id = ?`, id).Scan(&sum)
	h := sha256.Sum256([]byte(body))
	if sum != hex.EncodeToString(h[:]) {
		t.Fatalf("sha256 %s", sum)
	}
	if !strings.HasPrefix(items[0].Path, "2026/11/01/") {
		t.Fatalf("path %s not dated", items[0].Path)
	}
}

func TestListFilterAndSort(t *testing.T) {
	s, _ := newStore(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range []scan.Category{scan.Spam, scan.Virus, scan.Spam} {
		at := base.Add(time.Duration(i) * time.Hour)
		s.SetClock(func() time.Time { return at })
		put(t, s, []string{"c@s.test", "a@s.test", "b@s.test"}[i], "s", strings.Repeat("x", 10*(i+1)),
			Recipient{Address: "r@x.test", Category: c, Score: float64(i)})
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    Filter
		want []string // senders in order
	}{
		{"newest first", Filter{}, []string{"b@s.test", "a@s.test", "c@s.test"}},
		{"oldest first", Filter{Reverse: true}, []string{"c@s.test", "a@s.test", "b@s.test"}},
		{"spam only", Filter{Category: scan.Spam}, []string{"b@s.test", "c@s.test"}},
		{"by sender", Filter{Sort: "sender"}, []string{"a@s.test", "b@s.test", "c@s.test"}},
		{"by size", Filter{Sort: "size"}, []string{"b@s.test", "a@s.test", "c@s.test"}},
		{"sender filter", Filter{Sender: "A@s.test"}, []string{"a@s.test"}},
		{"page", Filter{Limit: 1, Offset: 1}, []string{"a@s.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Sender)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := s.List(ctx, Filter{Sort: "color"}); err == nil {
		t.Fatal("a bad sort key must be an error")
	}
}

func TestGetUnknown(t *testing.T) {
	s, _ := newStore(t)
	if _, err := s.Get(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err %v", err)
	}
}

// failingReader fails mid-message: nothing may be indexed, no file left.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "partial"), nil
	}
	return 0, errors.New("disk on fire")
}

func TestPutFailureLeavesNothing(t *testing.T) {
	s, dir := newStore(t)
	_, err := s.Put(context.Background(), Entry{Envelope: scan.Envelope{Sender: "a@b.test"}, Raw: &failingReader{n: 2},
		Recipients: []Recipient{{Address: "r@x.test", Category: scan.Spam}}})
	if err == nil {
		t.Fatal("want an error")
	}
	if items, _ := s.List(context.Background(), Filter{}); len(items) != 0 {
		t.Fatalf("indexed %d items after a failed write", len(items))
	}
	var files []string
	walk(dir+"/quarantine", &files)
	if len(files) != 0 {
		t.Fatalf("left files behind: %v", files)
	}
}

func walk(dir string, out *[]string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			walk(dir+"/"+e.Name(), out)
		} else {
			*out = append(*out, e.Name())
		}
	}
}
