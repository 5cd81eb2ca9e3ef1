package quarantine

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/scan"
)

type countUnreadable map[string]int

func (c countUnreadable) QuarantineUnreadable(what string) { c[what]++ }

// setStoredFindings overwrites the stored findings of message id.
func setStoredFindings(t *testing.T, s *Store, id, raw string) {
	t.Helper()
	if _, err := s.db.Exec(`UPDATE quarantine_messages SET findings = ? WHERE id = ?`, raw, id); err != nil {
		t.Fatal(err)
	}
}

// TestFindingsStoredVersioned: the quarantine stores its own versioned
// findings format, not scan.Finding's encoding.
func TestFindingsStoredVersioned(t *testing.T) {
	s, _ := newStore(t)
	id := put(t, s, "a@x.test", "s", "body", Recipient{Address: "b@x.test", Category: scan.Spam})
	var raw string
	s.db.QueryRow(`SELECT findings FROM quarantine_messages WHERE id = ?`, id).Scan(&raw)
	if !strings.HasPrefix(raw, `{"v":1,"findings":[{"scanner":"x"`) {
		t.Fatalf("stored findings %s, want the versioned object", raw)
	}
}

// TestFindingsOldRowsRead: rows from before the format had a version (a
// bare array of findings, or null) are still read.
func TestFindingsOldRowsRead(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	id := put(t, s, "a@x.test", "s", "body", Recipient{Address: "b@x.test", Category: scan.Spam})
	setStoredFindings(t, s, id, `[{"scanner":"spamd","category":"spam","rule":"GTUBE","score":1000,"reason":"spamd",`+
		`"rules":["GTUBE"]},{"scanner":"rules","category":"content","rule":"exe","score":0,"reason":"r","recipients":["b@x.test"]}]`)
	items, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []scan.Finding{{Scanner: "spamd", Category: scan.Spam, Rule: "GTUBE", Score: 1000, Reason: "spamd", Rules: []string{"GTUBE"}},
		{Scanner: "rules", Category: scan.Content, Rule: "exe", Reason: "r", Recipients: []string{"b@x.test"}}}
	if !reflect.DeepEqual(items[0].Findings, want) || items[0].FindingsUnreadable {
		t.Fatalf("findings %+v (unreadable %v), want %+v", items[0].Findings, items[0].FindingsUnreadable, want)
	}
	setStoredFindings(t, s, id, `null`)
	if items, err = s.Get(ctx, id); err != nil || items[0].Findings != nil || items[0].FindingsUnreadable {
		t.Fatalf("null findings: %+v, %v", items, err)
	}
}

// TestUnreadableFindingsDoNotFailGet: findings that cannot be decoded
// used to fail Get, so `quarantine show` and the portal's message page
// could not show (release or delete) the message. Now the item comes
// back marked, with an error line and a count.
func TestUnreadableFindingsDoNotFailGet(t *testing.T) {
	for _, raw := range []string{`[{"scanner": "x"`, `{"v":2,"findings":[]}`, `{"v":1,"evidence":[]}`, `"text"`, ``,
		`[{"engine":"x"}]`} {
		t.Run(raw, func(t *testing.T) {
			s, _ := newStore(t)
			var logged bytes.Buffer
			ev := countUnreadable{}
			s.SetReporting(slog.New(slog.NewTextHandler(&logged, nil)), ev)
			ctx := context.Background()
			id := put(t, s, "a@x.test", "s", "body", Recipient{Address: "b@x.test", Category: scan.Spam},
				Recipient{Address: "c@x.test", Category: scan.Spam})
			setStoredFindings(t, s, id, raw)
			items, err := s.GetScoped(ctx, id, &Scope{Domains: []string{"x.test"}})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if len(items) != 2 || !items[0].FindingsUnreadable || items[0].Findings != nil || items[0].Subject != "s" {
				t.Fatalf("items %+v, want both, marked unreadable", items)
			}
			if ev["findings"] != 1 || !strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), id) {
				t.Fatalf("counted %v, logged %q; want 1 and an error line naming %s", ev, logged.String(), id)
			}
		})
	}
}
