package quarantine

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/mailtower/mailtower/mimewalk"
)

// FuzzFTSQuery: whatever an admin types, the MATCH expression built from it
// is valid FTS4 syntax (SQLite never reports a syntax error) or the input
// is refused as having no words.
func FuzzFTSQuery(f *testing.F) {
	for _, s := range []string{"invoice", "a OR b", `"quoted"`, "-x", "NEAR/2", "col:word", "pre*", "*", `a"b`, "ünïcödé", "(a", "a AND NOT b"} {
		f.Add(s)
	}
	s, _ := newStore(f)
	put(f, s, "a@b.example", "hello world", "Subject: hello world\r\n\r\n", Recipient{Address: "r@x.test", Category: "spam"})
	f.Fuzz(func(t *testing.T, text string) {
		q, err := ftsQuery(text)
		if err != nil {
			if strings.ContainsFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
				t.Fatalf("words refused: %q: %v", text, err)
			}
			return
		}
		if _, err := s.List(context.Background(), Filter{Search: text, Limit: 1}); err != nil {
			t.Fatalf("search %q (MATCH %s): %v", text, q, err)
		}
	})
}

// FuzzCursor: a forged cursor is refused or used, never a crash or an SQL error.
func FuzzCursor(f *testing.F) {
	s, _ := newStore(f)
	fill(f, s)
	for _, c := range []string{"", "e30", "eyJzIjoiIiwiciI6ZmFsc2UsInYiOjEsImkiOjF9", "eyJ2IjpbMV19", "eyJ2Ijp7fX0"} {
		f.Add(c, "")
		f.Add(c, "sender")
	}
	f.Fuzz(func(t *testing.T, cursor, sort string) {
		if _, ok := sortColumns[sort]; !ok {
			return
		}
		items, err := s.List(context.Background(), Filter{Cursor: cursor, Sort: sort, Limit: 2})
		if err != nil && !strings.Contains(err.Error(), "cursor") {
			t.Fatalf("cursor %q: %v", cursor, err)
		}
		if len(items) > 2 {
			t.Fatalf("limit ignored")
		}
	})
}

// FuzzParseTime: no crash; a success is never in the future of now for ages.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"7d", "1d12h", "90m", "2026-11-01", "2026-11-01T10:00:00Z", "d", "-1d", "9999999999999999999d", "1d-1h"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseAge(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseAge(%q) = %s, negative", s, d)
		}
		ParseTime(s, now)
	})
}

// FuzzAttachments: any bytes give a listing and problems, never a panic.
func FuzzAttachments(f *testing.F) {
	for _, s := range []string{
		"Subject: x\r\n\r\nbody",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: x-bogus\r\n\r\nx\r\n--b\r\n",
		"Content-Type: multipart/mixed\r\n\r\nno boundary",
		"header without colon\r\n\r\nbody",
		"Content-Type: text/plain; charset=x-unknown\r\n\r\nbody",
		"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.exe\r\nContent-Type: application/x\r\n\r\nMZ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		parts, problems := Attachments(bytes.NewReader(raw), mimewalk.Limits{})
		if len(parts) == 0 && len(problems) == 0 && len(raw) > 0 {
			t.Fatalf("%q: neither parts nor problems", raw)
		}
		Header(bytes.NewReader(raw), 1<<16)
	})
}
