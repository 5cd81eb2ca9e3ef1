package notify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/milter"
)

type countEvents struct{ suppressed, failed map[string]int }

func (c *countEvents) NoticeSuppressed(r string) { c.suppressed[r]++ }
func (c *countEvents) NoticeFailed(r string)     { c.failed[r]++ }

// queueUndecodable queues n rows the notifier cannot decode.
func queueUndecodable(t *testing.T, nt *Notifier, n int) {
	for i := range n {
		if _, err := nt.db.ExecContext(context.Background(), `INSERT INTO notices (rcpt, notice, created, next_try) VALUES (?, ?, 0, 0)`,
			fmt.Sprintf("x%d@q.test", i), `{"QueueID": 7`); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUndecodableNoticesDoNotStallQueue: rows the notifier cannot decode
// used to be skipped and stay due for ever; a hundred of them filled every
// batch and no notice was sent again.
func TestUndecodableNoticesDoNotStallQueue(t *testing.T) {
	r := &recorder{}
	n := newNotifier(t, r)
	ctx := context.Background()
	queueUndecodable(t, n, 150)
	n.VirusFound(ctx, milter.VirusNotice{QueueID: "Q", Virus: "V", Recipient: "a@b.test", To: []string{"a@b.test"}})
	for range 3 {
		n.SendDue(ctx)
	}
	if len(r.sent) != 1 || !strings.HasPrefix(r.sent[0], "a@b.test\n") {
		t.Fatalf("sent %d notices, want the good one behind the undecodable rows", len(r.sent))
	}
}

// TestUndecodableNoticesMovedAside: such rows go to notices_failed,
// counted, and leave the queue.
func TestUndecodableNoticesMovedAside(t *testing.T) {
	n := newNotifier(t, &recorder{})
	ev := &countEvents{map[string]int{}, map[string]int{}}
	n.SetOptions(Options{Events: ev})
	ctx := context.Background()
	queueUndecodable(t, n, 150)
	for range 2 {
		n.SendDue(ctx)
	}
	var queued, failed int
	n.db.QueryRowContext(ctx, `SELECT count(*) FROM notices`).Scan(&queued)
	n.db.QueryRowContext(ctx, `SELECT count(*) FROM notices_failed WHERE reason LIKE 'undecodable%'`).Scan(&failed)
	if queued != 0 || failed != 150 || ev.failed["undecodable"] != 150 {
		t.Fatalf("queued %d, moved aside %d, counted %v; want 0, 150, 150", queued, failed, ev.failed)
	}
}

func TestGivenUpNoticeMovedAside(t *testing.T) {
	r := &recorder{fail: true}
	n := newNotifier(t, r)
	ev := &countEvents{map[string]int{}, map[string]int{}}
	n.SetOptions(Options{Events: ev})
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }
	ctx := context.Background()
	n.VirusFound(ctx, milter.VirusNotice{QueueID: "Q", Virus: "V", Recipient: "a@b.test", To: []string{"a@b.test"}})
	for range len(backoff) + 1 {
		n.SendDue(ctx)
		now = now.Add(25 * time.Hour)
	}
	var failed int
	n.db.QueryRowContext(ctx, `SELECT count(*) FROM notices_failed WHERE reason LIKE 'given up%'`).Scan(&failed)
	if failed != 1 || ev.failed["given_up"] != 1 {
		t.Fatalf("given-up notices kept %d, counted %v; want 1", failed, ev.failed)
	}
}

func TestNoticeRateLimits(t *testing.T) {
	r := &recorder{}
	n := newNotifier(t, r)
	ev := &countEvents{map[string]int{}, map[string]int{}}
	n.SetOptions(Options{Limits: Limits{PerAddress: 2, Global: 5}, Events: ev})
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }
	ctx := context.Background()
	tell := func(to string) {
		n.VirusFound(ctx, milter.VirusNotice{QueueID: "Q", Virus: "V", Recipient: to, To: []string{to}})
	}
	for range 4 {
		tell("admin@q.test")
	}
	tell("ADMIN@q.test") // the same address
	for i := range 6 {
		tell(fmt.Sprintf("u%d@q.test", i))
	}
	if got := n.SendDue(ctx); got != 5 {
		t.Fatalf("sent %d, want 5 (2 to the admin, then the global cap)", got)
	}
	if ev.suppressed["address_limit"] != 3 || ev.suppressed["global_limit"] != 3 {
		t.Fatalf("suppressed %v, want 3 address_limit and 3 global_limit", ev.suppressed)
	}
	now = now.Add(time.Hour)
	tell("admin@q.test")
	if got := n.SendDue(ctx); got != 1 {
		t.Fatalf("sent %d in the next hour, want 1", got)
	}
}

func TestNoticeListsRecipients(t *testing.T) {
	rcpts := make([]string, 60)
	for i := range rcpts {
		rcpts[i] = fmt.Sprintf("x%d@catch.test", i)
	}
	msg := string(compose(milter.VirusNotice{QueueID: "Q", Virus: "V", Recipient: rcpts[0], Recipients: rcpts},
		"admin@catch.test", "gw.test", time.Now()))
	for _, want := range []string{"these 60 recipients", "  x0@catch.test\r\n", "  x49@catch.test\r\n", "and 10 more"} {
		if !strings.Contains(msg, want) {
			t.Errorf("notice lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "x50@catch.test") {
		t.Error("notice lists more than maxListed recipients")
	}
}
