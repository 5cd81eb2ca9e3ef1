//go:build integration

package integration

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// waitLimit bounds every wait for mail to arrive or a queue to drain; a
// healthy run needs seconds. It is a bound, not a speed assertion.
const waitLimit = 2 * time.Minute

// addDomain runs `mailtower domain add NAME --relay SINK flags...`.
func (e *Env) addDomain(t *testing.T, name string, flags ...string) {
	t.Helper()
	args := append([]string{"domain", "add", name, "--relay", e.Sink.Addr()}, flags...)
	if _, err := e.Mailtower.CLI(args...); err != nil {
		t.Fatal(err)
	}
}

// sendOK sends through the gateway and fails the test unless Postfix
// answered 2xx at the end of DATA.
func (e *Env) sendOK(t *testing.T, from string, to []string, msg []byte) Reply {
	t.Helper()
	r, err := send(e.Postfix.Addr(), from, to, msg)
	if err != nil {
		t.Fatalf("send to %v: %v", to, err)
	}
	if !r.Accepted() {
		t.Fatalf("send to %v: %v, want 250 at end of DATA", to, r)
	}
	return r
}

var markerSeq atomic.Int64

// settle makes sure that everything the gateway accepted so far has
// reached the sink or been dropped: it sends a clean marker message
// (clean.test must be a domain of the Env), waits for it at the sink, and
// waits until Postfix's queue is empty. After settle, "not delivered"
// means not delivered, not "not delivered yet".
func (e *Env) settle(t *testing.T) {
	t.Helper()
	n := markerSeq.Add(1)
	rcpt := fmt.Sprintf("marker-%d@clean.test", n)
	e.sendOK(t, "marker@sender.example", []string{rcpt}, message([]string{
		"From: <marker@sender.example>", "To: <" + rcpt + ">", fmt.Sprintf("Subject: marker %d", n),
	}, "Marker message: everything sent before it has been handled.\n"))
	if !waitFor(waitLimit, func() bool { return len(e.deliveredTo(rcpt)) > 0 }) {
		t.Fatalf("marker %s not delivered within %s", rcpt, waitLimit)
	}
	e.waitQueueEmpty(t)
}

// waitQueueEmpty waits until Postfix's queue holds nothing.
func (e *Env) waitQueueEmpty(t *testing.T) {
	t.Helper()
	var q []QueueEntry
	ok := waitFor(waitLimit, func() bool {
		var err error
		q, err = e.Postfix.Queue()
		return err == nil && len(q) == 0
	})
	if !ok {
		t.Fatalf("Postfix queue not empty within %s: %+v", waitLimit, q)
	}
}

// deliveredTo returns the messages the sink received for rcpt.
func (e *Env) deliveredTo(rcpt string) []Received {
	var out []Received
	for _, m := range e.Sink.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// waitDelivered waits for one message to rcpt and returns it.
func (e *Env) waitDelivered(t *testing.T, rcpt string) Received {
	t.Helper()
	var got []Received
	if !waitFor(waitLimit, func() bool { got = e.deliveredTo(rcpt); return len(got) > 0 }) {
		t.Fatalf("nothing delivered to %s within %s", rcpt, waitLimit)
	}
	if len(got) != 1 {
		t.Fatalf("%d messages delivered to %s, want 1", len(got), rcpt)
	}
	return got[0]
}

// quarantined returns the quarantine entries of rcpt in category ("" = all).
func (e *Env) quarantined(t *testing.T, category, rcpt string) []QuarantineItem {
	t.Helper()
	items, err := e.Mailtower.Quarantine(category)
	if err != nil {
		t.Fatal(err)
	}
	var out []QuarantineItem
	for _, it := range items {
		if strings.EqualFold(it.Recipient, rcpt) {
			out = append(out, it)
		}
	}
	return out
}

// checkQuarantineItem checks the fields every entry must carry.
func checkQuarantineItem(t *testing.T, it QuarantineItem, category, sender, subject string) {
	t.Helper()
	if it.Category != category {
		t.Errorf("category %q, want %q", it.Category, category)
	}
	if !strings.EqualFold(it.Sender, sender) {
		t.Errorf("sender %q, want %q", it.Sender, sender)
	}
	if it.Subject != subject {
		t.Errorf("subject %q, want %q", it.Subject, subject)
	}
	if len(it.ID) == 0 || string(it.ID) == `""` || string(it.ID) == "null" {
		t.Errorf("entry has no id: %+v", it)
	}
	if it.Reason == "" || it.Received == "" || it.Expires == "" || it.State == "" || it.Size <= 0 {
		t.Errorf("entry lacks reason, received, expires, state or size: %+v", it)
	}
	if it.Expires <= it.Received {
		t.Errorf("expires %q is not after received %q", it.Expires, it.Received)
	}
}
