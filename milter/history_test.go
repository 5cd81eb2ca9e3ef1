package milter

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/settings"
)

type recorder struct {
	mu   sync.Mutex
	msgs []history.Message
}

func (r *recorder) Record(m history.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

// queuedReinject names a queue id for each copy, like Postfix's reply.
type queuedReinject struct{ *fakeReinject }

func (q queuedReinject) SendQueued(ctx context.Context, env reinject.Envelope, msg io.Reader) (string, error) {
	return "COPYQ1", q.Send(ctx, env.From, env.Addresses(), msg)
}

// TestHistoryRecordsEveryRecipient: the history row of a message with
// five treatments names each recipient's verdict, action, the quarantine
// id and the queue id its copy travels in (the re-injected copy's own).
func TestHistoryRecordsEveryRecipient(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{}
	rt := *f.filter.rt.Load()
	rt.History, rt.Reinject = rec, queuedReinject{f.reinject}
	f.filter.Reload(&rt)
	trx := newTrx("From: A <a@example.org>\r\nSubject: offer\r\nMessage-Id: <m1@example.org>\r\n", "SPAMMY\r\n",
		"a@q.test", "b@tag.test", "c@pass.test", "e@del.test")
	if d, _ := f.filter.Decide(context.Background(), trx); d != mailfilter.Accept {
		t.Fatalf("decision %v", d)
	}
	if len(rec.msgs) != 1 {
		t.Fatalf("%d history rows, want 1", len(rec.msgs))
	}
	m := rec.msgs[0]
	if m.QueueID != "4ABCDEF" || m.Sender != "sender@example.org" || m.Subject != "offer" || m.MessageID != "<m1@example.org>" ||
		m.ClientAddr != "192.0.2.1" || m.Helo != "client.example" || m.Score != 1000 || len(m.Findings) != 1 || m.Size == 0 {
		t.Fatalf("message %+v", m)
	}
	want := map[string]string{"a@q.test": "spam quarantine  ", "b@tag.test": "spam tag COPYQ1", "c@pass.test": "spam pass 4ABCDEF",
		"e@del.test": "spam delete "}
	for _, r := range m.Recipients {
		got := r.Verdict + " " + r.Action + " " + r.DeliveryQueueID
		if r.Action == "quarantine" {
			if r.QuarantineID == "" {
				t.Errorf("%s: no quarantine id", r.Address)
			}
			got += " "
		}
		if got != want[r.Address] {
			t.Errorf("%s: %q, want %q", r.Address, got, want[r.Address])
		}
	}
}

// A message refused whole (over every recipient's size limit) is in the
// history with the action reject; a tempfailed one is not (it comes again).
func TestHistoryRejectAndTempfail(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{}
	rt := *f.filter.rt.Load()
	rt.History = rec
	f.filter.Reload(&rt)
	trx := newTrx("Subject: x\r\n", "FAILSCAN\r\n", "bob@q.test")
	if d, _ := f.filter.Decide(context.Background(), trx); !strings.HasPrefix(d.String(), "451 ") {
		t.Fatalf("decision %v", d)
	}
	if len(rec.msgs) != 0 {
		t.Fatalf("a tempfailed message was recorded: %+v", rec.msgs)
	}
	small := int64(10)
	if err := f.settings.UpdateDomain(context.Background(), "q.test", func(d *settings.Domain) error {
		d.Overrides.MaxSize = &small
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	trx = newTrx("Subject: big\r\n", strings.Repeat("x", 100)+"\r\n", "bob@q.test")
	if d, _ := f.filter.Decide(context.Background(), trx); !strings.HasPrefix(d.String(), "552 ") {
		t.Fatalf("decision %v, want 552", d)
	}
	if len(rec.msgs) != 1 || rec.msgs[0].Recipients[0].Action != "reject" {
		t.Fatalf("history %+v, want one reject", rec.msgs)
	}
}
