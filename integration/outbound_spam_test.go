//go:build integration

package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Issue 16 item 4: an authenticated user's spam to the outside is not
// relayed: it is refused with 550 5.7.1 at end of DATA, held in the
// quarantine, and the admin of the user's domain is alerted once per
// user per hour; the user's clean mail is relayed; after [sasl]
// held_per_hour held messages the user's mail is deferred; a release
// relays the held message to its outside recipient.
func TestOutboundSpam(t *testing.T) {
	e := NewEnv(t, EnvOptions{Domains: append([]string{"valid.test", "outside.test"}, defaultDomains...),
		PostfixMain: tlsMain, Submission: true})
	m := e.Mailtower
	e.addDomain(t, "valid.test", "--admin", "admin@valid.test")
	for _, u := range []string{"bob@valid.test", "admin@valid.test"} {
		if _, err := m.CLI("user", "add", u); err != nil {
			t.Fatal(err)
		}
	}
	e.setPassword(t, "bob@valid.test", "bob's long password")
	sub := fmt.Sprintf("127.0.0.1:%d", m.SubmissionPort)
	if !waitFor(30*time.Second, func() bool { return dialable(sub) == nil }) {
		t.Fatalf("%s not listening", sub)
	}
	send := func(to, subject, body string) error {
		return sendAuth(sub, "bob@valid.test", "bob's long password", "bob@valid.test", to,
			message([]string{"From: <bob@valid.test>", "To: <" + to + ">", "Subject: " + subject}, body))
	}
	// net/smtp quotes the text: 550 "5.7.1 Message held ...".
	const refused = "5.7.1 Message held as suspected spam and not sent"
	isHeld := func(err error) bool {
		return err != nil && strings.HasPrefix(err.Error(), "end of DATA: 550 ") && strings.Contains(err.Error(), refused)
	}

	// The first spam: refused, held, alerted.
	err := send("x-spam1@outside.test", "cheap pills 1", "Buy now!\n"+gtube+"\n")
	if !isHeld(err) {
		t.Fatalf("GTUBE from bob: %v, want 550 %s", err, refused)
	}
	alert := e.waitDelivered(t, "admin@valid.test")
	held := e.qlist(t, "--recipient", "x-spam1@outside.test")
	if len(held) != 1 || held[0].Category != "spam" || held[0].State != "quarantined" {
		t.Fatalf("quarantine for x-spam1: %+v, want one spam entry", held)
	}
	body := string(alert.Data)
	for _, want := range []string{"Subject: Outgoing spam held from bob@valid.test", "User (login):   bob@valid.test",
		"x-spam1@outside.test", "Quarantine ID:  " + held[0].ID, "mailtower quarantine release " + held[0].ID} {
		if !strings.Contains(body, want) {
			t.Errorf("alert lacks %q:\n%s", want, body)
		}
	}
	if alert.From != "" {
		t.Errorf("alert envelope sender %q, want the null sender", alert.From)
	}
	out, err := m.CLI("quarantine", "show", held[0].ID)
	if err != nil || !strings.Contains(out, "outbound spam held, sent by bob@valid.test") {
		t.Errorf("quarantine show does not mark held outbound mail: %v\n%s", err, out)
	}

	// A second spam in the hour: refused and held, no second alert.
	if err := send("x-spam2@outside.test", "cheap pills 2", "Buy now!\n"+gtube+"\n"); !isHeld(err) {
		t.Fatalf("second GTUBE: %v", err)
	}
	// Clean mail of the same user is relayed.
	if err := send("x-clean@outside.test", "lunch", "See you at noon.\n"); err != nil {
		t.Fatalf("clean mail: %v", err)
	}
	e.waitDelivered(t, "x-clean@outside.test")
	e.settle(t)
	for _, r := range []string{"x-spam1@outside.test", "x-spam2@outside.test"} {
		if got := e.deliveredTo(r); len(got) != 0 {
			t.Errorf("held spam delivered to %s", r)
		}
	}
	if got := e.deliveredTo("admin@valid.test"); len(got) != 1 {
		t.Errorf("the admin got %d alerts, want 1 in the hour", len(got))
	}

	// The third held message reaches held_per_hour (3): further mail is deferred.
	if err := send("x-spam3@outside.test", "cheap pills 3", "Buy now!\n"+gtube+"\n"); !isHeld(err) {
		t.Fatalf("third GTUBE: %v", err)
	}
	err = send("x-later@outside.test", "later", "Another clean message.\n")
	if err == nil || !strings.HasPrefix(err.Error(), `RCPT: 450 "4.7.1 `) || !strings.Contains(err.Error(), "held as spam") {
		t.Errorf("after 3 held messages: %v, want 450 4.7.1 ... held as spam", err)
	}

	// Release relays the held message to its original outside recipient.
	out, err = m.CLI("quarantine", "release", held[0].ID, "--by", "tester")
	if err != nil || !strings.Contains(out, "released to x-spam1@outside.test") {
		t.Fatalf("release: %v\n%s", err, out)
	}
	got := e.waitDelivered(t, "x-spam1@outside.test")
	if s := got.Header("Subject"); len(s) != 1 || s[0] != "cheap pills 1" {
		t.Errorf("released message subject %v", s)
	}
	log, _ := os.ReadFile(m.Log)
	for _, want := range []string{`msg="outbound spam held" service=milter queue_id=`, "user=bob@valid.test", `msg="outbound spam alert sent"`,
		"authenticated user deferred: messages held as spam", "outbound spam alert suppressed"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("mailtower log lacks %q", want)
		}
	}
}
