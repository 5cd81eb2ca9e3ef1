package quarantine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// fill stores four messages an hour apart (oldest first).
func fill(t testing.TB, s *Store) []string {
	t.Helper()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	msgs := []struct {
		sender, subject string
		rcpt            Recipient
		size            int
	}{
		{"alice@shop.example", "Invoice 4711 overdue", Recipient{Address: "bob@a.test", Category: scan.Spam, Score: 6}, 10},
		{"mallory@evil.example", "Your parcel", Recipient{Address: "carol@b.test", Category: scan.Virus, Score: 0}, 400},
		{"news@shop.example", "Weekly deals – Überraschung", Recipient{Address: "bob@a.test", Category: scan.Spam, Score: 12}, 300},
		{"hr@corp.example", "Payroll (confidential)", Recipient{Address: "dave@a.test", Category: scan.Content, Score: 0}, 200},
	}
	var ids []string
	for i, m := range msgs {
		at := base.Add(time.Duration(i) * time.Hour)
		s.SetClock(func() time.Time { return at })
		ids = append(ids, put(t, s, m.sender, m.subject, "Subject: "+m.subject+"\r\n\r\n"+strings.Repeat("x", m.size), m.rcpt))
	}
	return ids
}

func TestListFiltersAndSearch(t *testing.T) {
	for _, wide := range []int{2000, 1} { // both query plans give the same answers
		wideSearch = wide
		t.Run(fmt.Sprint("wide from ", wide), testListFiltersAndSearch)
	}
	wideSearch = 2000
}

func testListFiltersAndSearch(t *testing.T) {
	s, _ := newStore(t)
	fill(t, s)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		f    Filter
		want string // subjects' first words, in order
	}{
		{"all newest first", Filter{}, "Payroll Weekly Your Invoice"},
		{"recipient domain", Filter{Domain: "A.test"}, "Payroll Weekly Invoice"},
		{"recipient", Filter{Recipient: "<Bob@a.test>"}, "Weekly Invoice"},
		{"recipient quoted", Filter{Recipient: `"bob"@A.test`}, "Weekly Invoice"},
		{"since", Filter{Since: base.Add(90 * time.Minute)}, "Payroll Weekly"},
		{"until", Filter{Until: base.Add(time.Hour)}, "Invoice"},
		{"range", Filter{Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, "Weekly Your"},
		{"search subject word", Filter{Search: "invoice"}, "Invoice"},
		{"search is case and accent blind", Filter{Search: "uberraschung"}, "Weekly"},
		{"search sender domain", Filter{Search: "shop.example"}, "Weekly Invoice"},
		{"search prefix", Filter{Search: "conf*"}, "Payroll"},
		{"search all words", Filter{Search: "weekly deals"}, "Weekly"},
		{"search words must all match", Filter{Search: "weekly invoice"}, ""},
		{"search syntax is text", Filter{Search: `"OR" -parcel:`}, ""},
		{"search plus filter", Filter{Search: "shop", Category: scan.Spam, Sort: "score", Reverse: true}, "Invoice Weekly"},
		{"score high first", Filter{Sort: "score"}, "Weekly Invoice Payroll Your"},
		{"size small first", Filter{Sort: "size", Reverse: true}, "Invoice Payroll Weekly Your"},
		{"sender a-z", Filter{Sort: "sender"}, "Invoice Payroll Your Weekly"},
		{"sender z-a", Filter{Sort: "sender", Reverse: true}, "Weekly Your Payroll Invoice"},
		{"offset", Filter{Limit: 2, Offset: 1}, "Weekly Your"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := s.List(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := firstWords(items); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func firstWords(items []Item) string {
	var w []string
	for _, it := range items {
		w = append(w, strings.Fields(it.Subject)[0])
	}
	return strings.Join(w, " ")
}

func TestCursorPagesThroughEverySort(t *testing.T) {
	s, _ := newStore(t)
	fill(t, s)
	ctx := context.Background()
	for _, sort := range []string{"", "size", "score", "sender"} {
		for _, rev := range []bool{false, true} {
			full, err := s.List(ctx, Filter{Sort: sort, Reverse: rev})
			if err != nil {
				t.Fatal(err)
			}
			f := Filter{Sort: sort, Reverse: rev, Limit: 1}
			var paged []Item
			for i := 0; i < 10; i++ {
				page, err := s.List(ctx, f)
				if err != nil {
					t.Fatalf("sort %q: %v", sort, err)
				}
				paged = append(paged, page...)
				if f.Cursor = f.NextCursor(page); f.Cursor == "" {
					break
				}
			}
			if firstWords(paged) != firstWords(full) {
				t.Fatalf("sort %q reverse %v: paged %q, full %q", sort, rev, firstWords(paged), firstWords(full))
			}
		}
	}
	c := Filter{Limit: 1}.NextCursor([]Item{{Item: 1}})
	if _, err := s.List(ctx, Filter{Sort: "size", Cursor: c}); err == nil || !strings.Contains(err.Error(), "--sort") {
		t.Fatalf("a cursor from another sort must be refused, got %v", err)
	}
	if _, err := s.List(ctx, Filter{Cursor: "garbage"}); err == nil {
		t.Fatal("a bad cursor must be refused")
	}
}

func TestCountAndBadFilter(t *testing.T) {
	s, _ := newStore(t)
	fill(t, s)
	n, err := s.Count(context.Background(), Filter{Domain: "a.test", Limit: 1})
	if err != nil || n != 3 {
		t.Fatalf("count %d, %v; want 3 (paging ignored)", n, err)
	}
	for _, f := range []Filter{{Search: "  * \"\" "}, {States: []string{"lost"}}, {Sort: "colour"}} {
		if _, err := s.List(context.Background(), f); err == nil {
			t.Errorf("filter %+v: want an error", f)
		}
	}
}

func TestParseTimeAndAge(t *testing.T) {
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2026-11-01T10:00:00Z", want: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{in: "2026-11-01T10:00:00+01:00", want: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)},
		{in: "2026-11-01", want: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "1d12h", want: now.Add(-36 * time.Hour)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "yesterday", bad: true},
		{in: "-3d", bad: true},
		{in: "d", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseTime(tc.in, now)
		if tc.bad != (err != nil) || !tc.bad && !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v", tc.in, got, err)
		}
	}
}
