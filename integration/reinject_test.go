//go:build integration

package integration

import (
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
