//go:build integration

package integration

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestThreePoliciesOneMessage: one spam message to three recipients with
// three policies gives a quarantined copy for the first (not delivered to
// it), exactly one tagged copy for the second and exactly one untouched
// copy for the third (issue 3, exact per-recipient actions).
func TestThreePoliciesOneMessage(t *testing.T) {
	e := NewEnv(t, EnvOptions{Domains: append(defaultDomains, "pass.test")})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--spam-action", "quarantine")
	e.addDomain(t, "tag.test", "--spam-action", "tag")
	e.addDomain(t, "pass.test", "--spam-action", "pass")

	rcpts := []string{"q1@quarantine.test", "t1@tag.test", "p1@pass.test"}
	msg := message([]string{"From: <spammer@sender.example>", "To: <q1@quarantine.test>, <t1@tag.test>, <p1@pass.test>",
		"Subject: three policies"}, "Offer inside.\n"+gtube+"\n")
	e.sendOK(t, "spammer@sender.example", rcpts, msg)
	e.settle(t)

	if got := e.deliveredTo("q1@quarantine.test"); len(got) != 0 {
		t.Errorf("the quarantine recipient received %d copies", len(got))
	}
	if n := len(e.quarantined(t, "spam", "q1@quarantine.test")); n != 1 {
		t.Errorf("%d quarantine entries for q1, want 1", n)
	}
	for _, r := range []string{"t1@tag.test", "p1@pass.test"} {
		if n := len(e.quarantined(t, "", r)); n != 0 {
			t.Errorf("%s has %d quarantine entries, want 0", r, n)
		}
	}
	tagged := e.waitDelivered(t, "t1@tag.test")
	if len(tagged.To) != 1 {
		t.Errorf("the tagged copy went to %v: it must be for t1@tag.test only", tagged.To)
	}
	if s := tagged.Header("Subject"); len(s) != 1 || s[0] != "*** SPAM *** three policies" {
		t.Errorf("tag recipient's Subject = %q", s)
	}
	plain := e.waitDelivered(t, "p1@pass.test")
	if len(plain.To) != 1 {
		t.Errorf("the untouched copy went to %v: it must be for p1@pass.test only", plain.To)
	}
	if s := plain.Header("Subject"); len(s) != 1 || s[0] != "three policies" {
		t.Errorf("pass recipient's Subject = %q, want it untouched", s)
	}
	if v := plain.Header("X-Mailtower-Verdict"); len(v) != 1 || v[0] != "spam" {
		t.Errorf("pass recipient's verdict header %q, want [spam] (passed, but labelled)", v)
	}
	for _, m := range []Received{tagged, plain} {
		if string(m.Body()) != string(bodyOf(msg)) {
			t.Errorf("body changed for %v", m.To)
		}
	}
}

// TestVirusNoticeToRecipientNeverSender: a virus for a recipient whose
// policy says notify the recipient produces a short notice to that
// recipient, without the infected content, and nothing at all to the
// sender — even though the sender's domain is served by this gateway, so
// a notice to it would reach the sink.
func TestVirusNoticeToRecipientNeverSender(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "virus.test", "--notify-virus", "recipient")

	enc := base64.StdEncoding.EncodeToString([]byte(eicar))
	msg := message([]string{"From: <forged@clean.test>", "To: <vic@virus.test>", "Subject: your parcel",
		`Content-Type: multipart/mixed; boundary="b1"`},
		"--b1\nContent-Type: text/plain\n\nsee attachment\n--b1\nContent-Type: application/octet-stream; name=\"parcel.com\"\n"+
			"Content-Transfer-Encoding: base64\n\n"+enc+"\n--b1--\n")
	e.sendOK(t, "forged@clean.test", []string{"vic@virus.test"}, msg)
	notice := e.waitDelivered(t, "vic@virus.test")
	e.settle(t)

	body := string(notice.Data)
	for _, want := range []string{"Eicar-Test", "forged@clean.test", "your parcel", "Quarantine ID:"} {
		if !strings.Contains(body, want) {
			t.Errorf("notice lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, enc[:20]) || strings.Contains(body, "EICAR-STANDARD") {
		t.Errorf("the notice carries the infected content")
	}
	if notice.From != "" {
		t.Errorf("notice envelope sender %q, want the null sender <>", notice.From)
	}
	if got := e.deliveredTo("forged@clean.test"); len(got) != 0 {
		t.Errorf("%d messages went to the (forged) sender", len(got))
	}
	items := e.quarantined(t, "virus", "vic@virus.test")
	if len(items) != 1 || !strings.Contains(body, strings.Trim(string(items[0].ID), `"`)) {
		t.Errorf("notice must quote the quarantine id of %+v", items)
	}
}

// TestOverLimitRejected: a message over the size limit of every recipient
// is refused with 552 5.3.4 at the end of DATA and delivered to no one.
func TestOverLimitRejected(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "tag.test", "--max-size", "20KB")

	big := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", 800) // ~51 KB
	msg := message([]string{"From: <a@sender.example>", "To: <s@tag.test>", "Subject: too big"}, big)
	r, err := send(e.Postfix.Addr(), "a@sender.example", []string{"s@tag.test"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 552 || !strings.Contains(r.Text, "5.3.4") {
		t.Fatalf("reply %v, want 552 5.3.4", r)
	}
	e.settle(t)
	if got := e.deliveredTo("s@tag.test"); len(got) != 0 {
		t.Errorf("an over-limit message was delivered")
	}
	// The same message to a recipient whose limit it fits is accepted.
	e.sendOK(t, "a@sender.example", []string{"ok@clean.test"}, msg)
	e.waitDelivered(t, "ok@clean.test")
}
