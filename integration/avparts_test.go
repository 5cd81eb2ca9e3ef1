//go:build integration

package integration

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestDecodedPartVirus: EICAR in shapes that clamd's own MIME parser does
// not open (checked against clamd 1.4) but mailtower's walker decodes: a
// message/rfc822 part in base64 (RFC 2046 forbids it; mail clients decode
// it anyway), and a boundary given in RFC 2231 pieces. clamd gets the
// decoded parts too (scan/avparts), so each message is quarantined as a
// virus and the reason names the part. Before avparts both were delivered.
func TestDecodedPartVirus(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoSpamd: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "virus.test")

	enc := base64.StdEncoding.EncodeToString([]byte(eicar))
	attachment := "Content-Type: application/octet-stream; name=\"invoice.com\"\nContent-Transfer-Encoding: base64\n\n" + enc + "\n"
	inner := "Content-Type: multipart/mixed; boundary=\"b2\"\n\n--b2\nContent-Type: text/plain\n\nSee attached.\n" +
		"--b2\n" + attachment + "--b2--\n"
	wrapped := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(inner, "\n", "\r\n")))
	for i, c := range []struct {
		name, contentType, body, part string
	}{
		{"message/rfc822 in base64", `multipart/mixed; boundary="b1"`,
			"--b1\nContent-Type: text/plain\n\nForwarding this.\n" +
				"--b1\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + wrapped + "\n--b1--\n",
			"part 2.1.2"},
		{"RFC 2231 boundary", `multipart/mixed; boundary*0="b"; boundary*1="1"`,
			"--b1\nContent-Type: text/plain\n\nSee attached.\n--b1\n" + attachment + "--b1--\n", "part 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rcpt := fmt.Sprintf("dave%d@virus.test", i)
			msg := message([]string{"From: <mallory@sender.example>", "To: <" + rcpt + ">", "Subject: " + c.name,
				"MIME-Version: 1.0", "Content-Type: " + c.contentType}, c.body)
			e.sendOK(t, "mallory@sender.example", []string{rcpt}, msg)
			e.settle(t)
			if got := e.deliveredWithSubject(rcpt, c.name); len(got) != 0 {
				t.Fatalf("the message hiding EICAR reached the customer server (to %v)", got[0].To)
			}
			items := e.quarantined(t, "virus", rcpt)
			if len(items) != 1 {
				t.Fatalf("quarantine list --category virus has %d entries for %s, want 1 (all: %+v)",
					len(items), rcpt, e.quarantined(t, "", rcpt))
			}
			if !strings.Contains(items[0].Reason, "Eicar-Test") || !strings.Contains(items[0].Reason, c.part+" (invoice.com)") {
				t.Errorf("reason %q does not name the signature and %s", items[0].Reason, c.part)
			}
			t.Logf("quarantined: %s", items[0].Reason)
		})
	}
}
