package history

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history/maillog"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store/storetest"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	db := storetest.Open(t)
	s, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func spamMessage(qid string, at time.Time) Message {
	return Message{Time: at, QueueID: qid, ClientAddr: "192.0.2.1", ClientName: "mx.sender.example", Helo: "mx.sender.example",
		Sender: "Bulk@Sender.Example", HeaderFrom: "Bulk <bulk@sender.example>", Subject: "Cheap watches today",
		MessageID: "<m1@sender.example>", Size: 1234, Score: 6.5,
		Findings: []scan.Finding{{Scanner: "bayes", Category: scan.Spam, Rule: "BAYES_99", Score: 6.5, Reason: "bayes 0.99"}},
		Recipients: []Recipient{
			{Address: "Alice@Customer.Example", Verdict: "spam", Action: "quarantine", Score: 6.5, Threshold: 5, QuarantineID: "q1"},
			{Address: "bob@customer.example", Verdict: "spam", Action: "tag", Score: 6.5, Threshold: 5, DeliveryQueueID: qid},
		}}
}

func TestWriteSearchShow(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	// The follower commits bob's delivery before the milter's row is written.
	sink := s.LogSink("/var/log/mail.log", nil)
	ev, ok := maillog.Parse("Dec 05 10:00:01 gw postfix/smtp[1]: ABCDEF0001: to=<bob@customer.example>, relay=mx.customer.example[192.0.2.25]:25, "+
		"delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as REMOTE1)", t0.Add(time.Hour))
	if !ok {
		t.Fatal("line not parsed")
	}
	if err := sink.Commit(ctx, maillog.Batch{Events: []maillog.Event{ev}, Pos: maillog.Position{Inode: 7, Offset: 100}, Lines: 1}); err != nil {
		t.Fatal(err)
	}
	refused := Message{Time: t0.Add(2 * time.Minute), Stage: StageRcpt, ClientAddr: "198.51.100.7", Helo: "spammer",
		Sender: "x@spam.example", Recipients: []Recipient{{Address: "nobody@customer.example", Verdict: VerdictRefused,
			Action: "unknown-user", Reason: "550 5.1.1 unknown user"}}}
	if err := s.Write(ctx, []Message{spamMessage("ABCDEF0001", t0), refused}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    Filter
		want []string // recipients, in order
	}{
		{"all newest first", Filter{}, []string{"nobody@customer.example", "bob@customer.example", "alice@customer.example"}},
		{"sender", Filter{Sender: "bulk@sender.example"}, []string{"bob@customer.example", "alice@customer.example"}},
		{"sender domain", Filter{Sender: "@Spam.Example"}, []string{"nobody@customer.example"}},
		{"recipient", Filter{Recipient: "ALICE@customer.example"}, []string{"alice@customer.example"}},
		{"domain", Filter{Domain: "customer.example", Reverse: true}, []string{"alice@customer.example", "bob@customer.example", "nobody@customer.example"}},
		{"queue id", Filter{QueueID: "ABCDEF0001"}, []string{"bob@customer.example", "alice@customer.example"}},
		{"message id", Filter{MessageID: "m1@sender.example"}, []string{"bob@customer.example", "alice@customer.example"}},
		{"subject", Filter{Subject: "watch*"}, []string{"bob@customer.example", "alice@customer.example"}},
		{"verdict", Filter{Verdict: "refused"}, []string{"nobody@customer.example"}},
		{"status sent (logged before the row)", Filter{Status: "sent"}, []string{"bob@customer.example"}},
		{"status none", Filter{Status: "none", Verdict: "spam"}, []string{"alice@customer.example"}},
		{"time range", Filter{Since: t0.Add(time.Minute)}, []string{"nobody@customer.example"}},
		{"action", Filter{Action: "unknown-user"}, []string{"nobody@customer.example"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := s.Search(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Recipient)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
	// Paging with the cursor walks every row once.
	f := Filter{Limit: 2}
	page1, err := s.Search(ctx, f)
	if err != nil || len(page1) != 2 {
		t.Fatalf("page 1: %v %v", page1, err)
	}
	f.Cursor = f.NextCursor(page1)
	page2, err := s.Search(ctx, f)
	if err != nil || len(page2) != 1 || page2[0].Recipient != "alice@customer.example" {
		t.Fatalf("page 2: %v %v", page2, err)
	}

	// Release of alice's copy: the new queue id carries her copy.
	if err := s.RecordRelease(ctx, "q1", []string{"alice@customer.example"}, "NEWQ00001", "admin", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ev2, _ := maillog.Parse("Dec 05 11:00:01 gw postfix/smtp[1]: NEWQ00001: to=<alice@customer.example>, relay=mx.customer.example[192.0.2.25]:25, "+
		"delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 ok)", t0.Add(2*time.Hour))
	if err := sink.Commit(ctx, maillog.Batch{Events: []maillog.Event{ev2}, Pos: maillog.Position{Inode: 7, Offset: 200}, Lines: 1}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Show(ctx, "ABCDEF0001")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Recipients) != 2 || st.Recipients[0].DeliveryQueue != "NEWQ00001" || st.Recipients[0].Status != "sent" ||
		st.Recipients[1].Status != "sent" || len(st.Deliveries) != 2 || st.Deliveries[0].RemoteID != "REMOTE1" ||
		len(st.Events) != 1 || st.Events[0].Kind != EventReleased || len(st.Findings) != 1 {
		t.Fatalf("story: %+v", st)
	}
	if pos, ok, err := sink.Position(ctx); err != nil || !ok || pos.Offset != 200 || pos.Inode != 7 {
		t.Fatalf("position %+v %v %v", pos, ok, err)
	}

	// A second follower of the same log, started from the position
	// before, cannot store its lines again.
	stale := s.LogSink("/var/log/mail.log", nil)
	if err := stale.Commit(ctx, maillog.Batch{Pos: maillog.Position{Inode: 7, Offset: 300}}); err == nil {
		t.Fatal("a follower without a position overwrote the stored one")
	}
	stale = s.LogSink("/var/log/mail.log", nil)
	if _, _, err := stale.Position(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(ctx, maillog.Batch{Pos: maillog.Position{Inode: 7, Offset: 250}}); err != nil {
		t.Fatal(err)
	}
	if err := stale.Commit(ctx, maillog.Batch{Events: []maillog.Event{ev2}, Pos: maillog.Position{Inode: 7, Offset: 300}}); !errors.Is(err, ErrMoved) {
		t.Fatalf("stale follower's commit: %v, want ErrMoved", err)
	}

	// Purge: everything before t0+1m goes, in batches of one.
	p, err := s.Purge(ctx, t0.Add(time.Minute), PurgeOptions{Batch: 1, Pause: time.Millisecond})
	if err != nil || p.Messages != 1 {
		t.Fatalf("purge %+v %v", p, err)
	}
	rows, _ := s.Search(ctx, Filter{})
	if len(rows) != 1 {
		t.Fatalf("after purge: %v", rows)
	}
	if rows, _ := s.Search(ctx, Filter{Subject: "watches"}); len(rows) != 0 {
		t.Fatalf("full-text index kept a purged message: %v", rows)
	}
}

func TestWriterDropsWhenFull(t *testing.T) {
	block := make(chan struct{})
	var dropped, written int
	wr := NewWriter(func(ctx context.Context, m []Message) error { <-block; written += len(m); return nil },
		WriterOptions{Queue: 2, Dropped: func() { dropped++ }})
	for i := 0; i < 10; i++ {
		wr.Record(Message{QueueID: "X"})
	}
	close(block)
	if err := wr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A stalled write: Record never blocked, the queue's rows are
	// written at the end, the others dropped and counted.
	if dropped == 0 || dropped+written != 10 {
		t.Fatalf("dropped %d, written %d, want some dropped and 10 in all", dropped, written)
	}
}
