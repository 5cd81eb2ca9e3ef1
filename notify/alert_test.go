package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/policy"
)

// TestOutboundSpamAlertOncePerUserHour: a compromised account whose
// messages are held one after another makes one alert per hour for its
// admin, queued and sent like a virus notice from the null sender; another
// user gets its own; the next hour alerts again.
func TestOutboundSpamAlertOncePerUserHour(t *testing.T) {
	r := &recorder{}
	n := newNotifier(t, r)
	ev := &countEvents{map[string]int{}, map[string]int{}}
	n.SetOptions(Options{Events: ev})
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }
	ctx := context.Background()
	alert := func(user, qid string) milter.VirusNotice {
		return milter.VirusNotice{Kind: policy.NoticeOutboundSpam, User: user, Score: 1000, QueueID: qid, QuarantineID: "QID" + qid,
			Sender: user, Subject: "Cheap\r\nBcc: x@evil.test", Date: now, Recipients: []string{"x@outside.test"},
			Recipient: "x@outside.test", To: []string{"admin@a.test"}}
	}
	for i, qid := range []string{"Q1", "Q2", "Q3"} {
		user := "u@a.test"
		if i == 2 {
			user = "v@a.test"
		}
		n.OutboundSpamHeld(ctx, alert(user, qid))
	}
	n.SendDue(ctx)
	if len(r.sent) != 2 || ev.suppressed["user_limit"] != 1 {
		t.Fatalf("sent %d alerts, suppressed %v; want 2 (u once, v once), 1", len(r.sent), ev.suppressed)
	}
	msg := r.sent[0]
	for _, want := range []string{"admin@a.test\n", "Subject: Outgoing spam held from u@a.test", "Auto-Submitted: auto-generated",
		"User (login):   u@a.test", "Quarantine ID:  QIDQ1", "x@outside.test", "mailtower quarantine release QIDQ1",
		"Spam score:     1000.0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("alert lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\r\nBcc:") || r.from[0] != "" {
		t.Errorf("alert header injection or non-null sender %q:\n%s", r.from[0], msg)
	}
	now = now.Add(time.Hour)
	n.OutboundSpamHeld(ctx, alert("u@a.test", "Q4"))
	n.SendDue(ctx)
	if len(r.sent) != 3 {
		t.Errorf("an hour later: sent %d alerts in all, want 3", len(r.sent))
	}
}

// TestOutboundAlertRowRoundTrip: the alert's fields survive the queue;
// a virus notice's row is unchanged by them (no kind, user, score).
func TestOutboundAlertRowRoundTrip(t *testing.T) {
	a := milter.VirusNotice{Kind: policy.NoticeOutboundSpam, User: "u@a.test", Score: 12.5, QueueID: "Q",
		Recipients: []string{"x@o.test"}, Recipient: "x@o.test", To: []string{"admin@a.test"}}
	raw, err := encodeNotice(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeNotice(raw)
	if err != nil || got.Kind != a.Kind || got.User != a.User || got.Score != a.Score {
		t.Errorf("decoded %+v, %v", got, err)
	}
	raw, _ = encodeNotice(milter.VirusNotice{QueueID: "Q", Virus: "V", Recipients: []string{"x@o.test"}})
	for _, k := range []string{"kind", "user", "score"} {
		if strings.Contains(raw, `"`+k+`"`) {
			t.Errorf("virus notice row has %q: %s", k, raw)
		}
	}
}
