//go:build integration

package integration

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestCleanMailDelivered: a clean message reaches the customer's server
// with its body byte for byte as sent, and headers that imitate
// mailtower's own are removed on the way.
func TestCleanMailDelivered(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")

	body := "Hello,\n\nthis is a clean message.\n.a line starting with a dot\n" +
		"trailing space \nUTF-8: Grüße, 東京\n" + strings.Repeat("long line ", 90) + "\n-- \nsig\n"
	msg := message([]string{
		"From: Alice <alice@sender.example>", "To: <bob@clean.test>", "Subject: quarterly report",
		"Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
		"X-Mailtower-Verdict: clean (forged by the sender)", "X-Mailtower-Score: -999",
		"X-Mailtower-Rules: FORGED_BY_SENDER", "X-Mailtower-Scanned: forged by the sender",
	}, body)
	e.sendOK(t, "alice@sender.example", []string{"bob@clean.test"}, msg)
	got := e.waitDelivered(t, "bob@clean.test")

	if !bytes.Equal(got.Body(), bodyOf(msg)) {
		t.Errorf("body changed on the way:\nsent %q\n got %q", bodyOf(msg), got.Body())
	}
	if s := got.Header("Subject"); len(s) != 1 || s[0] != "quarterly report" {
		t.Errorf("Subject = %q, want the original, once", s)
	}
	if v := got.Header("X-Mailtower-Verdict"); len(v) != 1 || v[0] != "clean" {
		t.Errorf("X-Mailtower-Verdict = %q, want mailtower's one [\"clean\"]", v)
	}
	if v := got.Header("X-Mailtower-Score"); len(v) != 1 {
		t.Errorf("X-Mailtower-Score = %q, want mailtower's one", v)
	}
	for _, h := range []string{"X-Mailtower-Verdict", "X-Mailtower-Score", "X-Mailtower-Rules", "X-Mailtower-Scanned"} {
		for _, v := range got.Header(h) {
			if strings.Contains(v, "forged") || strings.Contains(v, "-999") || strings.Contains(v, "FORGED_BY_SENDER") {
				t.Errorf("the sender's forged %s: %s was delivered", h, v)
			}
		}
	}
	if q := e.quarantined(t, "", "bob@clean.test"); len(q) != 0 {
		t.Errorf("clean mail quarantined: %+v", q)
	}
}

// TestSpamQuarantined: GTUBE to a domain whose spam action is quarantine
// (the default) is accepted, not delivered, and listed in the quarantine.
func TestSpamQuarantined(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--spam-action", "quarantine")

	msg := message([]string{"From: <spammer@sender.example>", "To: <carol@quarantine.test>", "Subject: buy now"},
		"Special offer!\n"+gtube+"\n")
	e.sendOK(t, "spammer@sender.example", []string{"carol@quarantine.test"}, msg)
	e.settle(t)

	if got := e.deliveredTo("carol@quarantine.test"); len(got) != 0 {
		t.Fatalf("spam for a quarantine domain was delivered:\n%s", got[0].Data)
	}
	items := e.quarantined(t, "spam", "carol@quarantine.test")
	if len(items) != 1 {
		t.Fatalf("quarantine list --category spam has %d entries for carol@quarantine.test, want 1", len(items))
	}
	checkQuarantineItem(t, items[0], "spam", "spammer@sender.example", "buy now")
	if items[0].Score < 5 {
		t.Errorf("score %v, want GTUBE's (1000) above the level-3 threshold 5", items[0].Score)
	}
	if v := e.quarantined(t, "virus", "carol@quarantine.test"); len(v) != 0 {
		t.Errorf("--category virus lists spam: %+v", v)
	}
}

// TestVirusQuarantined: a message with the EICAR test file attached is
// quarantined as a virus; neither it nor the EICAR bytes reach the
// customer (a notice to the recipient, if any, must not carry them).
func TestVirusQuarantined(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "virus.test")

	enc := base64.StdEncoding.EncodeToString([]byte(eicar))
	msg := message([]string{
		"From: <mallory@sender.example>", "To: <dave@virus.test>", "Subject: invoice attached",
		`Content-Type: multipart/mixed; boundary="b1"`,
	}, "--b1\nContent-Type: text/plain\n\nPlease see the attached invoice.\n"+
		"--b1\nContent-Type: application/octet-stream; name=\"invoice.com\"\n"+
		"Content-Disposition: attachment; filename=\"invoice.com\"\nContent-Transfer-Encoding: base64\n\n"+
		enc+"\n--b1--\n")
	e.sendOK(t, "mallory@sender.example", []string{"dave@virus.test"}, msg)
	e.settle(t)

	for _, m := range e.Sink.Messages() {
		if bytes.Contains(m.Data, []byte(enc)) || bytes.Contains(m.Data, []byte(eicar)) {
			t.Fatalf("the EICAR file reached the customer server (to %v)", m.To)
		}
	}
	items := e.quarantined(t, "virus", "dave@virus.test")
	if len(items) != 1 {
		t.Fatalf("quarantine list --category virus has %d entries for dave@virus.test, want 1", len(items))
	}
	checkQuarantineItem(t, items[0], "virus", "mallory@sender.example", "invoice attached")
	if !strings.Contains(items[0].Reason, "Eicar") {
		t.Errorf("reason %q does not name the signature Eicar-Test", items[0].Reason)
	}
}

// TestMixedRecipients: one spam message to a quarantine recipient and a
// tag recipient: each gets its own treatment and nothing of the other's.
func TestMixedRecipients(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--spam-action", "quarantine")
	e.addDomain(t, "tag.test", "--spam-action", "tag")

	rcpts := []string{"erin@quarantine.test", "frank@tag.test"}
	msg := message([]string{"From: <spammer@sender.example>", "To: <erin@quarantine.test>, <frank@tag.test>",
		"Subject: two recipients"}, gtube+"\n")
	e.sendOK(t, "spammer@sender.example", rcpts, msg)
	e.settle(t)

	if got := e.deliveredTo("erin@quarantine.test"); len(got) != 0 {
		t.Errorf("the quarantine recipient got the spam (envelope %v)", got[0].To)
	}
	if n := len(e.quarantined(t, "spam", "erin@quarantine.test")); n != 1 {
		t.Errorf("%d quarantine entries for erin@quarantine.test, want 1", n)
	}
	if n := len(e.quarantined(t, "", "frank@tag.test")); n != 0 {
		t.Errorf("%d quarantine entries for the tag recipient, want 0", n)
	}
	got := e.waitDelivered(t, "frank@tag.test")
	if subj := got.Header("Subject"); len(subj) != 1 || subj[0] != "*** SPAM *** two recipients" {
		t.Errorf("tag recipient's Subject = %q, want [\"*** SPAM *** two recipients\"]", subj)
	}
}
