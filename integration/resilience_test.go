//go:build integration

package integration

import (
	"bytes"
	"testing"
)

// TestComponentDownTempfails: with clamd, spamd or mailtower itself
// stopped, the sending client gets a 4xx (it keeps the message and
// retries), and nothing is delivered, queued or quarantined; once the
// component is back, the retry is accepted and delivered unchanged.
// mailtower down exercises Postfix's milter_default_action = tempfail.
func TestComponentDownTempfails(t *testing.T) {
	cases := []struct {
		name        string
		stop, start func(e *Env) error
	}{
		{"clamd", func(e *Env) error { e.Clamd.Stop(); return nil }, func(e *Env) error { return e.Clamd.Start() }},
		{"spamd", func(e *Env) error { e.Spamd.Stop(); return nil }, func(e *Env) error { return e.Spamd.Start() }},
		{"mailtower", func(e *Env) error { e.Mailtower.Stop(); return nil }, func(e *Env) error { return e.Mailtower.Start() }},
	}
	for _, c := range cases {
		t.Run(c.name+" down", func(t *testing.T) {
			e := NewEnv(t, EnvOptions{OwnSpamd: c.name == "spamd"})
			e.addDomain(t, "clean.test")
			rcpt := "grace@clean.test"
			msg := message([]string{"From: <alice@sender.example>", "To: <" + rcpt + ">",
				"Subject: while " + c.name + " is down"}, "An ordinary message.\n")

			if err := c.stop(e); err != nil {
				t.Fatal(err)
			}
			r, err := send(e.Postfix.Addr(), "alice@sender.example", []string{rcpt}, msg)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if r.Code/100 != 4 {
				t.Fatalf("%s down: reply %v, want 4xx (tempfail: the sender keeps and retries the message)", c.name, r)
			}
			t.Logf("%s down: %v", c.name, r)
			q, err := e.Postfix.Queue()
			if err != nil || len(q) != 0 {
				t.Errorf("Postfix queued a tempfailed message: %+v %v", q, err)
			}
			if n := e.Sink.Count(); n != 0 {
				t.Errorf("%d messages delivered while %s was down", n, c.name)
			}

			if err := c.start(e); err != nil {
				t.Fatal(err)
			}
			if items := e.quarantined(t, "", rcpt); len(items) != 0 {
				t.Errorf("tempfailed message quarantined: %+v", items)
			}
			e.sendOK(t, "alice@sender.example", []string{rcpt}, msg)
			got := e.waitDelivered(t, rcpt)
			if !bytes.Equal(got.Body(), bodyOf(msg)) {
				t.Errorf("body changed: %q", got.Body())
			}
		})
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
