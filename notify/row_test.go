package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/milter"
)

// queueRaw queues one row with the stored text raw, as some version wrote it.
func queueRaw(t *testing.T, n *Notifier, rcpt, raw string) {
	t.Helper()
	if _, err := n.db.ExecContext(context.Background(), `INSERT INTO notices (rcpt, notice, created, next_try) VALUES (?, ?, 0, 0)`,
		rcpt, raw); err != nil {
		t.Fatal(err)
	}
}

// TestQueuedNoticeHasOwnVersionedFormat: the queue stores notify's own
// row (a version and its own keys), not the policy core's Notice encoded
// with its Go field names, so renaming a field there cannot strand rows.
func TestQueuedNoticeHasOwnVersionedFormat(t *testing.T) {
	n := newNotifier(t, &recorder{})
	ctx := context.Background()
	n.VirusFound(ctx, notice)
	var raw string
	if err := n.db.QueryRowContext(ctx, `SELECT notice FROM notices LIMIT 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	if m["v"] != float64(rowVersion) || m["queue_id"] != "Q1" || m["QueueID"] != nil {
		t.Fatalf("stored notice %s: want {\"v\":%d, \"queue_id\":...}", raw, rowVersion)
	}
}

// TestOldNoticeRowsStillSent: rows queued before the format had a version
// (the notice type with Go field names; the oldest without Recipients)
// are read and sent after an upgrade.
func TestOldNoticeRowsStillSent(t *testing.T) {
	r := &recorder{}
	n := newNotifier(t, r)
	queueRaw(t, n, "bob@q.test", `{"QueueID":"Q0","QuarantineID":"abc","Sender":"s@x.test","Subject":"Old",`+
		`"Date":"2026-11-22T06:00:00Z","Virus":"Eicar","Recipient":"bob@q.test","To":["bob@q.test"]}`)
	queueRaw(t, n, "admin@q.test", `{"QueueID":"Q1","QuarantineID":"","Sender":"s@x.test","Subject":"Newer",`+
		`"Date":"2026-11-22T06:00:00Z","Virus":"Eicar","Recipient":"a@q.test","Recipients":["a@q.test","b@q.test"],"To":["admin@q.test"]}`)
	if got := n.SendDue(context.Background()); got != 2 {
		t.Fatalf("sent %d old notices, want 2", got)
	}
	for i, want := range [][]string{
		{"A message addressed to you", "Quarantine ID:  abc", "Eicar"},
		{"these 2 recipients", "  b@q.test\r\n", "The message was deleted."},
	} {
		for _, w := range want {
			if !strings.Contains(r.sent[i], w) {
				t.Errorf("notice %d lacks %q:\n%s", i, w, r.sent[i])
			}
		}
	}
}

// TestNoticeRowOfUnknownVersionMovedAside: a row of a format this code
// does not know (a newer version's, or junk that is valid JSON) is moved
// aside and counted, not sent as an empty notice.
func TestNoticeRowOfUnknownVersionMovedAside(t *testing.T) {
	r := &recorder{}
	n := newNotifier(t, r)
	ev := &countEvents{map[string]int{}, map[string]int{}}
	n.SetOptions(Options{Events: ev})
	queueRaw(t, n, "a@q.test", `{"v":2,"queue_id":"Q2","notice_kind":"virus"}`)
	queueRaw(t, n, "b@q.test", `{"Queue":"Q3"}`)
	queueRaw(t, n, "c@q.test", `null`)
	ctx := context.Background()
	n.SendDue(ctx)
	var failed int
	n.db.QueryRowContext(ctx, `SELECT count(*) FROM notices_failed WHERE reason LIKE 'undecodable%'`).Scan(&failed)
	if len(r.sent) != 0 || failed != 3 || ev.failed["undecodable"] != 3 {
		t.Fatalf("sent %d, moved aside %d, counted %v; want 0, 3, 3", len(r.sent), failed, ev.failed)
	}
}

// TestNoticeRowRoundTrip: what VirusFound stores decodes to the notice.
func TestNoticeRowRoundTrip(t *testing.T) {
	in := milter.VirusNotice{QueueID: "Q", QuarantineID: "id", Sender: "s@x.test", Subject: "S",
		Date: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC), Virus: "V", Recipient: "a@q.test",
		Recipients: []string{"a@q.test", "b@q.test"}, To: []string{"admin@q.test"}}
	raw, err := encodeNotice(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeNotice(raw)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(in)
	b2, _ := json.Marshal(out)
	if string(b1) != string(b2) {
		t.Fatalf("round trip:\n got %s\nwant %s", b2, b1)
	}
}
