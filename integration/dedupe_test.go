//go:build integration

package integration

import "testing"

// TestRetriedMessageQuarantinedOnce: a sender retrying a message (after a
// tempfail) sends the same bytes in a new SMTP transaction; real Postfix
// gives it a new queue id and a new Received header. The quarantine keeps
// one copy; a message that differs is still stored.
func TestRetriedMessageQuarantinedOnce(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--spam-action", "quarantine")
	retried := message([]string{"From: <spammer@sender.example>", "To: <carol@quarantine.test>", "Subject: buy now",
		"Date: Sun, 22 Nov 2026 06:00:00 +0000", "Message-ID: <retry.1@sender.example>"}, "Special offer!\n"+gtube+"\n")
	other := message([]string{"From: <spammer@sender.example>", "To: <carol@quarantine.test>", "Subject: buy now",
		"Date: Sun, 22 Nov 2026 06:00:00 +0000", "Message-ID: <retry.2@sender.example>"}, "Special offer!\n"+gtube+"\n")
	for _, msg := range [][]byte{retried, retried, other} {
		e.sendOK(t, "spammer@sender.example", []string{"carol@quarantine.test"}, msg)
	}
	e.settle(t)
	items := e.quarantined(t, "spam", "carol@quarantine.test")
	if len(items) != 2 {
		t.Fatalf("%d quarantine entries for carol@quarantine.test, want 2 (the retried message once, the other once)", len(items))
	}
}
