//go:build integration

package integration

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestReshapedHeader: Postfix ends the header at a line without a colon
// and passes the rest on as body, so the multipart and its file arrive in
// a text/plain body that a lenient client or a later filter still reads
// as MIME. mailtower reads it that way too: EICAR so hidden is
// quarantined as a virus, an executable is caught by `--block-filetype
// exe`, and a reshaped message without a file is delivered.
func TestReshapedHeader(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoSpamd: true})
	e.addDomain(t, "virus.test", "--content-action", "quarantine")
	if _, err := e.Mailtower.CLI("rule", "add", "global", "--block-filetype", "exe"); err != nil {
		t.Fatal(err)
	}
	pe := "TVqQAAMAAAAEAAAA//8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFRoaXMgcHJvZ3JhbSBjYW5ub3QgYmUgcnVuIGluIERPUyBtb2RlLg=="
	file := func(name, b64 string) string {
		return "--b\nContent-Type: application/octet-stream; name=\"" + name + "\"\nContent-Transfer-Encoding: base64\n\n" + b64 + "\n"
	}
	cases := []struct {
		subject, rcpt, files, category, reason string
	}{
		{"reshaped eicar", "erin@virus.test", file("invoice.com", base64.StdEncoding.EncodeToString([]byte(eicar))), "virus", "Eicar-Test"},
		{"reshaped exe", "finn@virus.test", file("invoice.pdf", pe), "content", "block-filetype"},
		{"reshaped benign", "gina@virus.test", "--b\nContent-Type: text/html\n\n<p>hello</p>\n", "", ""},
	}
	for _, c := range cases {
		msg := message([]string{"From: <mallory@sender.example>", "To: <" + c.rcpt + ">", "Subject: " + c.subject,
			"MIME-Version: 1.0", "X-Note this line has no colon", "Content-Type: multipart/mixed; boundary=b"},
			"--b\nContent-Type: text/plain\n\nSee attached.\n"+c.files+"--b--\n")
		e.sendOK(t, "mallory@sender.example", []string{c.rcpt}, msg)
	}
	e.settle(t)
	for _, c := range cases {
		t.Run(c.subject, func(t *testing.T) {
			got := e.deliveredWithSubject(c.rcpt, c.subject)
			if c.category == "" {
				if len(got) != 1 {
					t.Fatalf("%d copies delivered, want 1 (quarantine: %+v)", len(got), e.quarantined(t, "", c.rcpt))
				}
				return
			}
			if len(got) != 0 {
				t.Fatalf("the reshaped message reached the customer server (to %v)", got[0].To)
			}
			items := e.quarantined(t, c.category, c.rcpt)
			if len(items) != 1 || !strings.Contains(items[0].Reason, c.reason) {
				t.Fatalf("quarantine %s: %+v, want one entry naming %s (all: %+v)", c.category, items, c.reason, e.quarantined(t, "", c.rcpt))
			}
			t.Logf("quarantined: %s", items[0].Reason)
		})
	}
}
