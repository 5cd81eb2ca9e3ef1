//go:build integration

package integration

import (
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestReleaseRemovesForgedHeaders: a quarantined message carrying a forged
// X-Mailtower-Verdict and X-Mailtower-Released is released; the customer
// gets only the release's own X-Mailtower-Released (issue 11, item 3).
func TestReleaseRemovesForgedHeaders(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	const sender, rcpt = "mallory@sender.example", "carol@quarantine.test"
	e.sendOK(t, sender, []string{rcpt}, message([]string{
		"From: <" + sender + ">", "To: <" + rcpt + ">", "Subject: forged verdict",
		"X-Mailtower-Verdict: clean",
		"x-mailtower-released: by admin at 2020-01-01T00:00:00Z",
		"\tfrom quarantine 0000000000000000",
	}, "Dear Carol,\n"+gtube+"\n"))
	e.settle(t)
	items := e.qlist(t, "--recipient", rcpt)
	if len(items) != 1 {
		t.Fatalf("%d quarantined for %s, want 1", len(items), rcpt)
	}
	if out, err := e.Mailtower.CLI("quarantine", "release", items[0].ID, "--by", "tester"); err != nil {
		t.Fatalf("release: %v\n%s", err, out)
	}
	got := e.waitDelivered(t, rcpt)
	if h := got.Header("X-Mailtower-Released"); len(h) != 1 || !strings.HasPrefix(h[0], "by tester at ") {
		t.Errorf("X-Mailtower-Released = %q, want only the release's own", h)
	}
	if h := got.Header("X-Mailtower-Verdict"); len(h) != 0 {
		t.Errorf("forged X-Mailtower-Verdict reached the customer: %q", h)
	}
}

// TestReinjectListenerRefusesOtherClients: the re-injection listener
// relays unscanned to any recipient, so only mailtower may use it (issue
// 11, item 5). With [reinject] smtp = HOST:PORT, a local process
// connecting from another loopback address (127.0.0.9) is refused, for an
// outside and for a customer recipient; mailtower's own release still
// works.
func TestReinjectListenerRefusesOtherClients(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	tr := transact(t, e.Postfix.ReinjectAddr(), "127.0.0.9", "mallory@sender.example",
		[]string{"victim@external.example", "carol@clean.test"}, 0)
	for rcpt, r := range tr.Rcpt {
		if r.Code/100 != 5 {
			t.Errorf("from 127.0.0.9, RCPT TO:<%s> at the re-injection listener: %v, want 5xx", rcpt, r)
		}
	}
	releaseWorks(t, e)
}

// TestReinjectUnixSocket: with the default form, a unix socket in
// Postfix's queue/public directory, there is no TCP listener; mailtower
// (root here) releases through it, and a user outside group postdrop
// cannot connect.
func TestReinjectUnixSocket(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true, ReinjectSocket: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	if err := dialable(e.Postfix.ReinjectAddr()); err == nil {
		t.Errorf("something listens on %s", e.Postfix.ReinjectAddr())
	}
	out, err := exec.Command("runuser", "-u", "nobody", "--", "swaks", "--socket", e.Postfix.ReinjectSocket,
		"--from", "mallory@sender.example", "--to", "victim@external.example", "--quit-after", "RCPT").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ermission denied") {
		t.Errorf("user nobody at %s: err %v, want permission denied:\n%s", e.Postfix.ReinjectSocket, err, out)
	}
	releaseWorks(t, e)
}

// releaseWorks quarantines one spam message and releases it through the
// re-injection listener.
func releaseWorks(t *testing.T, e *Env) {
	t.Helper()
	const rcpt = "dave@quarantine.test"
	e.sendOK(t, "alice@sender.example", []string{rcpt}, message([]string{
		"From: <alice@sender.example>", "To: <" + rcpt + ">", "Subject: to release"}, gtube+"\n"))
	e.settle(t)
	items := e.qlist(t, "--recipient", rcpt)
	if len(items) != 1 {
		t.Fatalf("%d quarantined for %s, want 1", len(items), rcpt)
	}
	if out, err := e.Mailtower.CLI("quarantine", "release", items[0].ID); err != nil {
		t.Fatalf("release: %v\n%s", err, out)
	}
	e.waitDelivered(t, rcpt)
}

// TestTraceAndDSNKept: copies that mailtower re-injects (a differently
// treated recipient's copy, a released message) keep the trace of the
// original transaction — a Received field naming its client, HELO and
// queue id — and the sender's DSN parameters (issue 11, item 7).
func TestTraceAndDSNKept(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true, Domains: append(defaultDomains, "pass.test")})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--spam-action", "quarantine")
	e.addDomain(t, "tag.test", "--spam-action", "tag")
	e.addDomain(t, "pass.test", "--spam-action", "pass")
	const from = "spammer@sender.example"
	rcpts := []string{"q1@quarantine.test", "t1@tag.test", "p1@pass.test"}
	sendDSN(t, e.Postfix.Addr(), from, rcpts, message([]string{"From: <" + from + ">",
		"To: <q1@quarantine.test>, <t1@tag.test>, <p1@pass.test>", "Subject: trace"}, "Offer.\n"+gtube+"\n"))
	e.settle(t)

	// The untagged copy stays in Postfix's transaction: Postfix's own
	// Received field names the queue id.
	plain := e.waitDelivered(t, "p1@pass.test")
	m := regexp.MustCompile(`by gw\.mailtower\.test \(Postfix\) with ESMTP id ([0-9A-Za-z]+)`).FindStringSubmatch(
		strings.Join(plain.Header("Received"), "\n"))
	if m == nil {
		t.Fatalf("no Received field of the gateway in the delivered copy: %q", plain.Header("Received"))
	}
	want := "from sender.example (unknown [127.0.0.1])\tby gw.mailtower.test (mailtower) with ESMTP id " + m[1]
	checkDSN(t, plain, "p1@pass.test")

	tagged := e.waitDelivered(t, "t1@tag.test")
	items := e.qlist(t, "--recipient", "q1@quarantine.test")
	if len(items) != 1 {
		t.Fatalf("%d quarantined for q1, want 1", len(items))
	}
	if out, err := e.Mailtower.CLI("quarantine", "release", items[0].ID); err != nil {
		t.Fatalf("release: %v\n%s", err, out)
	}
	released := e.waitDelivered(t, "q1@quarantine.test")
	for _, c := range []struct {
		name string
		m    Received
	}{{"re-injected tagged copy", tagged}, {"released copy", released}} {
		found := false
		for _, r := range c.m.Header("Received") {
			found = found || strings.HasPrefix(r, want)
		}
		if !found {
			t.Errorf("%s: no Received field %q...; has %q", c.name, want, c.m.Header("Received"))
		}
		checkDSN(t, c.m, c.m.To[0])
	}
}

// checkDSN checks that the sink got the parameters sendDSN gives.
func checkDSN(t *testing.T, m Received, rcpt string) {
	t.Helper()
	if m.Mail.Return != smtp.DSNReturnHeaders || m.Mail.EnvelopeID != "trace-17" {
		t.Errorf("to %s: MAIL FROM RET=%q ENVID=%q, want HDRS, trace-17", rcpt, m.Mail.Return, m.Mail.EnvelopeID)
	}
	if len(m.Rcpt) != 1 || len(m.Rcpt[0].Notify) != 1 || m.Rcpt[0].Notify[0] != smtp.DSNNotifyNever ||
		m.Rcpt[0].OriginalRecipient != "orig+"+rcpt {
		t.Errorf("to %s: RCPT parameters %+v, want NOTIFY=NEVER ORCPT=rfc822;orig+%s", rcpt, m.Rcpt, rcpt)
	}
}

// sendDSN sends through addr with RET=HDRS ENVID=trace-17 and, for every
// recipient, NOTIFY=NEVER ORCPT=rfc822;orig+RCPT.
func sendDSN(t *testing.T, addr, from string, to []string, msg []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout, c.SubmissionTimeout = 3*time.Minute, 3*time.Minute
	defer c.Close()
	if err := c.Hello("sender.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, &smtp.MailOptions{Return: smtp.DSNReturnHeaders, EnvelopeID: "trace-17"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyNever},
			OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: "orig+" + r}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	_ = c.Quit()
}
