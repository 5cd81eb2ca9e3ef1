//go:build integration

package integration

import (
	"strings"
	"testing"
)

// TestMixedCaseRecipientQuarantined (issue 11 item 1): GTUBE to
// RCPT TO:<Alice@quarantine.test> (spam quarantined) and to a tag
// recipient. Alice's copy is quarantined and never delivered: the milter
// removes her from Postfix's transaction under the exact address Postfix
// gave (go-milter compares local parts case-sensitively); the tag
// recipient gets the tagged copy.
func TestMixedCaseRecipientQuarantined(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--spam-action", "quarantine")
	e.addDomain(t, "tag.test", "--spam-action", "tag")

	msg := message([]string{"From: <spammer@sender.example>", "To: <Alice@quarantine.test>, <frank@tag.test>",
		"Subject: mixed case"}, gtube+"\n")
	e.sendOK(t, "spammer@sender.example", []string{"Alice@quarantine.test", "frank@tag.test"}, msg)
	e.settle(t)

	if got := e.deliveredTo("alice@quarantine.test"); len(got) != 0 {
		t.Errorf("Alice's quarantined copy was delivered (envelope %v, Subject %q)", got[0].To, got[0].Header("Subject"))
	}
	if n := len(e.quarantined(t, "spam", "alice@quarantine.test")); n != 1 {
		t.Errorf("%d spam quarantine entries for alice@quarantine.test, want 1", n)
	}
	got := e.waitDelivered(t, "frank@tag.test")
	if subj := got.Header("Subject"); len(subj) != 1 || subj[0] != "*** SPAM *** mixed case" {
		t.Errorf("tag recipient's Subject = %q, want [\"*** SPAM *** mixed case\"]", subj)
	}
	for _, to := range got.To {
		if strings.EqualFold(to, "alice@quarantine.test") {
			t.Errorf("the tagged copy also went to %s", to)
		}
	}
}

// TestQuotedLocalPartUserRule (issue 11 item 2): a user's block-content
// rule catches mail to RCPT TO:<"alice"@quarantine.test>, which Postfix
// delivers to alice@quarantine.test. The milter canonicalises the quoted
// dot-atom as Postfix does and finds the user; another recipient of the
// same domain without the rule gets the message.
func TestQuotedLocalPartUserRule(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	if _, err := e.Mailtower.CLI("user", "add", "alice@quarantine.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Mailtower.CLI("rule", "add", "alice@quarantine.test", "--block-content", `(?i)wire\s+transfer\s+today`); err != nil {
		t.Fatal(err)
	}

	msg := message([]string{"From: <ceo@sender.example>", `To: <"alice"@quarantine.test>, <bob@quarantine.test>`,
		"Subject: request"}, "Please make the wire transfer today.\n")
	e.sendOK(t, "ceo@sender.example", []string{`"alice"@quarantine.test`, "bob@quarantine.test"}, msg)
	e.settle(t)

	if got := e.deliveredTo("alice@quarantine.test"); len(got) != 0 {
		t.Errorf("alice's block-content rule did not stop the copy for \"alice\"@quarantine.test (envelope %v)", got[0].To)
	}
	if got := e.deliveredTo(`"alice"@quarantine.test`); len(got) != 0 {
		t.Errorf("copy delivered to the quoted form (envelope %v)", got[0].To)
	}
	if items := e.quarantined(t, "content", "alice@quarantine.test"); len(items) != 1 || !strings.Contains(items[0].Reason, "block-content") {
		t.Errorf("alice's content quarantine %+v, want one block-content entry", items)
	}
	if got := e.deliveredTo("bob@quarantine.test"); len(got) != 1 {
		t.Errorf("%d copies for bob@quarantine.test (no rule), want 1", len(got))
	}
}
