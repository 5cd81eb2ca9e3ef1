package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store"
)

// fillHistory writes scored messages to rcpt, one per score, as the
// milter would have under the default policy (level 3: threshold 5).
func fillHistory(t *testing.T, cfg, rcpt string, scores ...float64) {
	t.Helper()
	db, err := store.Open(filepath.Join(filepath.Dir(cfg), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := history.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []history.Message
	for i, sc := range scores {
		verdict, action := "clean", "pass"
		if sc >= 5 {
			verdict, action = "spam", "quarantine"
		}
		msgs = append(msgs, history.Message{Time: time.Now().Add(-time.Hour), QueueID: "QUEUE" + string(rune('A'+i)),
			Sender: "s@sender.example", Subject: "offer number " + string(rune('A'+i)), MessageID: "<m@x>", Size: 100, Score: sc,
			Findings: []scan.Finding{{Scanner: "bayes", Category: scan.Spam, Rule: "BAYES", Score: sc, Reason: "bayes"}},
			Recipients: []history.Recipient{{Address: rcpt, Verdict: verdict, Action: action, Score: sc, Threshold: 5,
				DeliveryQueueID: "QUEUE" + string(rune('A'+i))}}})
	}
	if err := h.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

func TestHistorySearchShowWhatIf(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "customer.example", "--relay", "mx.customer.example")
	fillHistory(t, cfg, "bob@customer.example", 1, 4, 4.5, 9)

	var rows []history.Row
	out := mustRun(t, cfg, "history", "--domain", "customer.example", "--verdict", "clean", "--json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("history --verdict clean: %s %v", out, err)
	}
	out = mustRun(t, cfg, "history", "--subject", "offer", "--limit", "2")
	if !strings.Contains(out, "more: --cursor ") || strings.Count(out, "bob@customer.example") != 2 {
		t.Fatalf("paged listing:\n%s", out)
	}
	out = mustRun(t, cfg, "history", "show", "QUEUED")
	for _, want := range []string{"queue id    QUEUED", "bob@customer.example  spam  quarantine", "none logged"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}

	// Level 4 (threshold 3.5) would quarantine the 4 and the 4.5.
	out = mustRun(t, cfg, "history", "what-if", "--domain", "customer.example", "--spam-level", "4")
	if !strings.Contains(out, "replayed 4 recipients: 2 would change fate") || !strings.Contains(out, "pass -> quarantine: 2") {
		t.Fatalf("what-if:\n%s", out)
	}
	var rep history.WhatIf
	out = mustRun(t, cfg, "history", "what-if", "--spam-level", "1", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Changed != 1 || rep.Changes[0].From != "quarantine" ||
		rep.Changes[0].To != "pass" || rep.Changes[0].Examples[0].Score != 9 {
		t.Fatalf("global what-if: %s %v", out, err)
	}
	if _, err := run(t, cfg, "history", "what-if", "--domain", "customer.example"); err == nil {
		t.Fatal("what-if without a proposal must fail")
	}
	if _, err := run(t, cfg, "history", "--status", "lost"); err == nil {
		t.Fatal("a bad --status must fail")
	}
}
