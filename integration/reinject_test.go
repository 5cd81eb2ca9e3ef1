//go:build integration

package integration

import (
	"os/exec"
	"strings"
	"testing"
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
