//go:build integration

package integration

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestVirusNoticesCatchAllNoAmplification: one infected message to forty
// invented addresses of a catch-all domain used to send forty notices (up
// to smtpd_recipient_limit per message). Now the invented addresses get
// none, the domain admin gets exactly one listing them, and a known user
// of the domain still gets their own.
func TestVirusNoticesCatchAllNoAmplification(t *testing.T) {
	e := NewEnv(t, EnvOptions{Domains: append([]string{"catch.test"}, defaultDomains...)})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "virus.test")
	e.addDomain(t, "catch.test", "--catch-all", "--notify-virus", "both", "--admin", "admin@virus.test")
	e.cli(t, "user", "add", "bob@catch.test")

	rcpts := []string{"bob@catch.test"}
	for i := range 40 {
		rcpts = append(rcpts, fmt.Sprintf("invented%02d@catch.test", i))
	}
	enc := base64.StdEncoding.EncodeToString([]byte(eicar))
	msg := message([]string{"From: <forged@sender.example>", "To: <undisclosed@catch.test>", "Subject: invoice",
		`Content-Type: multipart/mixed; boundary="b1"`},
		"--b1\nContent-Type: text/plain\n\nsee attachment\n--b1\nContent-Type: application/octet-stream; name=\"invoice.com\"\n"+
			"Content-Transfer-Encoding: base64\n\n"+enc+"\n--b1--\n")
	e.sendOK(t, "forged@sender.example", rcpts, msg)

	admin := e.waitDelivered(t, "admin@virus.test")
	bob := e.waitDelivered(t, "bob@catch.test")
	e.settle(t)

	if got := e.deliveredTo("admin@virus.test"); len(got) != 1 {
		t.Errorf("the admin got %d notices, want 1", len(got))
	}
	body := string(admin.Data)
	for _, want := range []string{"Eicar-Test", "these 41 recipients", "invented00@catch.test", "invented39@catch.test"} {
		if !strings.Contains(body, want) {
			t.Errorf("admin notice lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(string(bob.Data), "addressed to you") {
		t.Errorf("bob's notice:\n%s", bob.Data)
	}
	for _, r := range rcpts[1:] {
		if got := e.deliveredTo(r); len(got) != 0 {
			t.Fatalf("invented address %s got %d messages, want none", r, len(got))
		}
	}
	if got := e.deliveredTo("forged@sender.example"); len(got) != 0 {
		t.Errorf("%d messages went to the (forged) sender", len(got))
	}
}
