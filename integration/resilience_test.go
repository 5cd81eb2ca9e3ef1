//go:build integration

package integration

import (
	"bytes"
	"testing"
)

// TestScannerDownTempfails: with clamd stopped the sending client gets a
// 4xx (it keeps the message and retries), nothing is delivered, queued or
// quarantined; once clamd is back, the retry is accepted and delivered.
func TestScannerDownTempfails(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	msg := message([]string{"From: <alice@sender.example>", "To: <grace@clean.test>", "Subject: while clamd is down"},
		"An ordinary message.\n")

	e.Clamd.Stop()
	r, err := send(e.Postfix.Addr(), "alice@sender.example", []string{"grace@clean.test"}, msg)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if r.Code/100 != 4 {
		t.Fatalf("clamd down: reply %v, want 4xx (tempfail: the sender keeps and retries the message)", r)
	}
	q, err := e.Postfix.Queue()
	if err != nil || len(q) != 0 {
		t.Errorf("Postfix queued a tempfailed message: %+v %v", q, err)
	}
	if n := e.Sink.Count(); n != 0 {
		t.Errorf("%d messages delivered while clamd was down", n)
	}
	if items := e.quarantined(t, "", "grace@clean.test"); len(items) != 0 {
		t.Errorf("tempfailed message quarantined: %+v", items)
	}

	if err := e.Clamd.Start(); err != nil {
		t.Fatal(err)
	}
	e.sendOK(t, "alice@sender.example", []string{"grace@clean.test"}, msg)
	got := e.waitDelivered(t, "grace@clean.test")
	if !bytes.Equal(got.Body(), bodyOf(msg)) {
		t.Errorf("body changed: %q", got.Body())
	}
}

// TestCustomerDownQueues: with the customer's server down, the gateway
// accepts the message, Postfix keeps it in its deferred queue, and
// delivers it unchanged once the server is back.
func TestCustomerDownQueues(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "down.test")
	msg := message([]string{"From: <alice@sender.example>", "To: <heidi@down.test>", "Subject: please wait for me"},
		"Delivered after the outage.\n")

	e.Sink.Stop()
	e.sendOK(t, "alice@sender.example", []string{"heidi@down.test"}, msg)
	var q []QueueEntry
	deferred := waitFor(waitLimit, func() bool {
		q, _ = e.Postfix.Queue()
		return len(q) == 1 && q[0].QueueName == "deferred" && len(q[0].Recipients) == 1 &&
			q[0].Recipients[0].Address == "heidi@down.test" && q[0].Recipients[0].DelayReason != ""
	})
	if !deferred {
		t.Fatalf("message not in the deferred queue with a delay reason: %+v", q)
	}
	t.Logf("deferred: %s", q[0].Recipients[0].DelayReason)

	// Postfix retries while the server stays down (short backoff in the
	// test main.cf): after two more failed attempts the message is still
	// queued, not bounced or lost.
	attempts := func() int { return e.Postfix.LogCount("to=<heidi@down.test>", "status=deferred") }
	if !waitFor(waitLimit, func() bool { return attempts() >= 3 }) {
		t.Fatalf("Postfix made %d delivery attempts, want at least 3", attempts())
	}
	if q, err := e.Postfix.Queue(); err != nil || len(q) != 1 || q[0].QueueName != "deferred" {
		t.Fatalf("queue after retries: %+v %v", q, err)
	}
	if e.Postfix.LogCount("status=bounced") != 0 {
		t.Fatal("Postfix bounced the message")
	}

	if err := e.Sink.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Postfix.Flush(); err != nil {
		t.Fatal(err)
	}
	got := e.waitDelivered(t, "heidi@down.test")
	if !bytes.Equal(got.Body(), bodyOf(msg)) {
		t.Errorf("body changed: %q", got.Body())
	}
	if got.From != "alice@sender.example" {
		t.Errorf("envelope sender %q, want alice@sender.example (a bounce would have <>)", got.From)
	}
	e.waitQueueEmpty(t)
}
