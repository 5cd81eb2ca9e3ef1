//go:build integration

package integration

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestDecodedPartVirus: EICAR in a shape that clamd's own MIME parser does
// not open (checked against clamd 1.4: a message/rfc822 part in base64,
// which RFC 2046 forbids and mail clients decode anyway) but mailtower's
// walker decodes. clamd gets the decoded parts too (scan/avparts), so the
// message is quarantined as a virus, and the reason names the part.
// Before avparts the message was delivered.
func TestDecodedPartVirus(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoSpamd: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "virus.test")

	enc := base64.StdEncoding.EncodeToString([]byte(eicar))
	inner := "Content-Type: multipart/mixed; boundary=\"b2\"\n\n--b2\nContent-Type: text/plain\n\nSee attached.\n" +
		"--b2\nContent-Type: application/octet-stream; name=\"invoice.com\"\nContent-Transfer-Encoding: base64\n\n" +
		enc + "\n--b2--\n"
	wrapped := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(inner, "\n", "\r\n")))
	msg := message([]string{"From: <mallory@sender.example>", "To: <dave@virus.test>", "Subject: forwarded invoice",
		"MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="b1"`},
		"--b1\nContent-Type: text/plain\n\nForwarding this.\n"+
			"--b1\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"+wrapped+"\n--b1--\n")
	e.sendOK(t, "mallory@sender.example", []string{"dave@virus.test"}, msg)
	e.settle(t)

	for _, m := range e.Sink.Messages() {
		if bytes.Contains(m.Data, []byte(wrapped)) {
			t.Fatalf("the message hiding EICAR reached the customer server (to %v)", m.To)
		}
	}
	items := e.quarantined(t, "virus", "dave@virus.test")
	if len(items) != 1 {
		t.Fatalf("quarantine list --category virus has %d entries for dave@virus.test, want 1 (all: %+v)",
			len(items), e.quarantined(t, "", "dave@virus.test"))
	}
	if !strings.Contains(items[0].Reason, "Eicar-Test") || !strings.Contains(items[0].Reason, "part 2.1.2") {
		t.Errorf("reason %q does not name the signature and the part", items[0].Reason)
	}
	t.Logf("quarantined: %s", items[0].Reason)
}
