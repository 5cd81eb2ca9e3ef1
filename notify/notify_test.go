package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/store/storetest"
)

type recorder struct {
	mu   sync.Mutex
	fail bool
	sent []string
	from []string
}

func (r *recorder) Send(_ context.Context, from string, to []string, msg io.Reader) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("postfix down")
	}
	b, _ := io.ReadAll(msg)
	r.sent = append(r.sent, strings.Join(to, ",")+"\n"+string(b))
	r.from = append(r.from, from)
	return nil
}

func newNotifier(t *testing.T, r *recorder) *Notifier {
	db := storetest.Open(t)
	n, err := New(context.Background(), db, r, "gw.test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var notice = milter.VirusNotice{QueueID: "Q1", QuarantineID: "abc123", Sender: "forged@evil.test",
	Subject: "Invoice\r\nBcc: x@y.test", Date: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC), Virus: "Eicar-Test.UNOFFICIAL",
	Recipient: "bob@q.test", To: []string{"bob@q.test", "admin@q.test"}}

func TestNoticeSentToAddresseesOnly(t *testing.T) {
	r := &recorder{}
	n := newNotifier(t, r)
	n.VirusFound(context.Background(), notice)
	if got := n.SendDue(context.Background()); got != 2 {
		t.Fatalf("sent %d, want 2", got)
	}
	for i, m := range r.sent {
		if r.from[i] != "" {
			t.Errorf("envelope sender %q, want the null sender", r.from[i])
		}
		if strings.Contains(m, "forged@evil.test\n") || strings.HasPrefix(m, "forged@") {
			t.Errorf("a notice went to the sender: %q", m)
		}
		for _, want := range []string{"Eicar-Test.UNOFFICIAL", "forged@evil.test (as claimed", "abc123", "Invoice  Bcc: x@y.test",
			"Auto-Submitted: auto-generated"} {
			if !strings.Contains(m, want) {
				t.Errorf("notice lacks %q:\n%s", want, m)
			}
		}
		if strings.Contains(m, "\r\nBcc:") {
			t.Errorf("subject line break leaked into the header:\n%s", m)
		}
	}
	if !strings.HasPrefix(r.sent[0], "bob@q.test\n") || !strings.HasPrefix(r.sent[1], "admin@q.test\n") {
		t.Fatalf("addressees: %q / %q", r.sent[0][:20], r.sent[1][:20])
	}
	if n.SendDue(context.Background()) != 0 {
		t.Fatal("a sent notice must leave the queue")
	}
}

func TestFailedNoticeRetriedWithBackoff(t *testing.T) {
	r := &recorder{fail: true}
	n := newNotifier(t, r)
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }
	n.VirusFound(context.Background(), milter.VirusNotice{QueueID: "Q", Virus: "V", Recipient: "a@b.test", To: []string{"a@b.test"}})
	if n.SendDue(context.Background()) != 0 {
		t.Fatal("nothing can be sent while Postfix is down")
	}
	r.fail = false
	if n.SendDue(context.Background()) != 0 {
		t.Fatal("a failed notice waits for its backoff")
	}
	now = now.Add(backoff[0])
	if n.SendDue(context.Background()) != 1 || len(r.sent) != 1 {
		t.Fatal("the notice must be sent after the backoff")
	}
}
