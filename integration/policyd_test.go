//go:build integration

package integration

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// greylistDelay is [greylist] delay in these tests: short, so that the
// retry after the delay comes within seconds.
const greylistDelay = 3 * time.Second

// outsideIP is the loopback address the tests send inbound mail from:
// not 127.0.0.1, which is the harness's mynetworks (permit_mynetworks
// comes before the policy service, as in the generated main.cf).
const outsideIP = "127.0.0.5"

// newPolicyEnv starts a gateway whose Postfix runs the policy and
// socketmap lines of `mailtower postfix-config`: domains, next hops and
// recipients come from mailtower's database, and check_policy_service
// decides at RCPT in smtpd_relay_restrictions.
func newPolicyEnv(t *testing.T) *Env {
	t.Helper()
	return NewEnv(t, EnvOptions{
		Domains: []string{"unused.test"}, NoClamd: true, NoSpamd: true,
		MailtowerExtra: fmt.Sprintf("[greylist]\ndelay = %q\nretry_window = \"1h\"\n", greylistDelay.String()),
		PostfixMain: []string{"relay_domains", "transport_maps", "relay_recipient_maps",
			"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_policy_service_default_action"},
	})
}

// transaction is one SMTP transaction's replies: one per RCPT, and the
// reply at the end of DATA when at least one recipient was accepted.
type transaction struct {
	Rcpt map[string]Reply
	Data Reply
}

// transact sends one message from the local address localIP (a loopback
// address such as 127.0.0.2, so that Postfix sees that client) to every
// recipient, going on to DATA with those accepted. size > 0 announces
// SIZE=size in MAIL FROM.
func transact(t *testing.T, addr, localIP, from string, rcpts []string, size int64) transaction {
	t.Helper()
	return transactMsg(t, addr, localIP, from, rcpts, size, nil)
}

// transactMsg is transact sending msg (nil: a short clean message).
func transactMsg(t *testing.T, addr, localIP, from string, rcpts []string, size int64, msg []byte) transaction {
	t.Helper()
	awaitSettingsVisible()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, localIP, err)
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout, c.SubmissionTimeout = time.Minute, time.Minute
	defer c.Close()
	if err := c.Hello("sender.example"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	var opts *smtp.MailOptions
	if size > 0 {
		opts = &smtp.MailOptions{Size: size}
	}
	if err := c.Mail(from, opts); err != nil {
		t.Fatalf("MAIL FROM:<%s>: %v", from, err)
	}
	tr := transaction{Rcpt: map[string]Reply{}}
	accepted := 0
	for _, r := range rcpts {
		reply := Reply{Stage: "RCPT", Code: 250}
		if err := c.Rcpt(r, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				t.Fatalf("RCPT TO:<%s>: %v", r, err)
			}
			reply.Code, reply.Text = se.Code, fmt.Sprintf("%d.%d.%d %s", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
		} else {
			accepted++
		}
		tr.Rcpt[r] = reply
	}
	if accepted == 0 {
		return tr
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if msg == nil {
		msg = message([]string{"From: <" + from + ">", "To: <" + rcpts[0] + ">", "Subject: policy test"}, "Hello.\n")
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatalf("DATA write: %v", err)
	}
	tr.Data = Reply{Stage: "end of DATA", Code: 250}
	if _, err := w.CloseWithResponse(); err != nil {
		r, rerr := refusal("end of DATA", err)
		if rerr != nil {
			t.Fatal(rerr)
		}
		tr.Data = r
	}
	_ = c.Quit()
	return tr
}

// want checks one RCPT reply: its code and a part of its text.
func (tr transaction) want(t *testing.T, rcpt string, code int, text string) {
	t.Helper()
	r, ok := tr.Rcpt[rcpt]
	if !ok || r.Code != code || !strings.Contains(r.Text, text) {
		t.Errorf("RCPT %s: %d %q, want %d containing %q", rcpt, r.Code, r.Text, code, text)
	}
}

func (e *Env) cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.Mailtower.CLI(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPolicyGreylistCatchAll(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "catch.test", "--catch-all")
	addr, from, rcpt := e.Postfix.Addr(), "newsletter@sender.example", "anyone@catch.test"

	first := transact(t, addr, outsideIP, from, []string{rcpt}, 0)
	first.want(t, rcpt, 450, "4.7.1")
	first.want(t, rcpt, 450, "Greylisted")
	early := transact(t, addr, outsideIP, from, []string{rcpt}, 0)
	early.want(t, rcpt, 450, "Greylisted")

	time.Sleep(greylistDelay + time.Second) // the sender's retry after the delay
	retry := transact(t, addr, outsideIP, from, []string{rcpt}, 0)
	retry.want(t, rcpt, 250, "")
	if retry.Data.Code != 250 {
		t.Fatalf("retry after the delay: end of DATA %v", retry.Data)
	}
	e.waitDelivered(t, rcpt)
	if out := e.cli(t, "greylist", "list", "--json"); !strings.Contains(out, `"recipient": "anyone@catch.test"`) || !strings.Contains(out, `"passed_at"`) {
		t.Errorf("greylist list does not show the passed triplet:\n%s", out)
	}
}

// TestPolicyAliasAndAllowedSender runs, on real Postfix, the two cases of
// the shared policy table (internal/policytest) no other test sends: an
// alias (and its +ext form) of a domain that validates recipients is
// accepted and delivered, and an allow-sender rule "@domain" lets a
// sender of a subdomain past greylisting of a catch-all domain at once.
func TestPolicyAliasAndAllowedSender(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "valid.test")
	e.addDomain(t, "catch.test", "--catch-all")
	e.cli(t, "alias", "add", "sales@valid.test")
	e.cli(t, "rule", "add", "catch.test", "--allow-sender", "@trusted.example")
	addr := e.Postfix.Addr()

	tr := transact(t, addr, outsideIP, "a@sender.example", []string{"sales@valid.test", "sales+eu@valid.test", "nobody@valid.test"}, 0)
	tr.want(t, "sales@valid.test", 250, "")
	tr.want(t, "sales+eu@valid.test", 250, "")
	tr.want(t, "nobody@valid.test", 550, "5.1.1")
	if tr.Data.Code != 250 {
		t.Fatalf("end of DATA: %v", tr.Data)
	}
	e.waitDelivered(t, "sales@valid.test")

	allowed := transact(t, addr, outsideIP, "news@mail.trusted.example", []string{"anyone@catch.test"}, 0)
	allowed.want(t, "anyone@catch.test", 250, "") // at once: not greylisted
	other := transact(t, addr, outsideIP, "news@untrusted.example", []string{"anyone@catch.test"}, 0)
	other.want(t, "anyone@catch.test", 450, "Greylisted")
	if allowed.Data.Code != 250 {
		t.Fatalf("allowed sender, end of DATA: %v", allowed.Data)
	}
	e.waitDelivered(t, "anyone@catch.test")
}

func TestPolicyRecipientValidation(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "valid.test")
	e.cli(t, "user", "add", "bob@valid.test")
	e.cli(t, "user", "add", "small@valid.test", "--max-size", "1KB")
	addr := e.Postfix.Addr()

	tr := transact(t, addr, outsideIP, "a@sender.example", []string{"nobody@valid.test", "bob@valid.test", "bob+news@valid.test"}, 0)
	tr.want(t, "nobody@valid.test", 550, "5.1.1")
	tr.want(t, "bob@valid.test", 250, "") // at once: domains that are not catch-all are never greylisted
	tr.want(t, "bob+news@valid.test", 250, "")
	if tr.Data.Code != 250 {
		t.Fatalf("end of DATA: %v", tr.Data)
	}
	e.waitDelivered(t, "bob@valid.test")
	if len(e.deliveredTo("nobody@valid.test")) != 0 {
		t.Error("unknown user got mail")
	}

	size := transact(t, addr, outsideIP, "a@sender.example", []string{"small@valid.test", "bob@valid.test"}, 5000)
	size.want(t, "small@valid.test", 552, "5.3.4")
	size.want(t, "bob@valid.test", 250, "")
}

func TestPolicyBlockedSenderPerRecipient(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "valid.test")
	e.cli(t, "user", "add", "bob@valid.test")
	e.cli(t, "user", "add", "carol@valid.test")
	e.cli(t, "rule", "add", "bob@valid.test", "--block-sender", "spam@bad.example")

	tr := transact(t, e.Postfix.Addr(), outsideIP, "spam@bad.example", []string{"bob@valid.test", "carol@valid.test"}, 0)
	tr.want(t, "bob@valid.test", 550, "5.7.1")
	tr.want(t, "bob@valid.test", 550, "block-sender spam@bad.example")
	tr.want(t, "carol@valid.test", 250, "")
	if tr.Data.Code != 250 {
		t.Fatalf("end of DATA: %v", tr.Data)
	}
	e.waitDelivered(t, "carol@valid.test")
	e.waitQueueEmpty(t)
	if len(e.deliveredTo("bob@valid.test")) != 0 {
		t.Error("the blocked recipient got the message")
	}
}

func TestPolicyOutboundRelay(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "valid.test", "--relay-net", "127.0.0.2/32")
	addr, out := e.Postfix.Addr(), "someone@elsewhere.example"

	for _, tc := range []struct {
		name, client, sender string
		code                 int
		text                 string
	}{
		{"relay net, own sender", "127.0.0.2", "alice@valid.test", 250, ""},
		{"relay net, own sender's subdomain", "127.0.0.2", "alice@eu.valid.test", 250, ""},
		{"relay net, foreign sender", "127.0.0.2", "eve@evil.example", 554, "Relay not permitted for sender <eve@evil.example> from 127.0.0.2"},
		{"relay net, null sender", "127.0.0.2", "", 554, "Relay not permitted for sender <> from 127.0.0.2"},
		{"elsewhere, own sender", "127.0.0.3", "alice@valid.test", 554, "Relay access denied"},
		{"elsewhere, foreign sender", "127.0.0.3", "eve@evil.example", 554, "Relay access denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := transact(t, addr, tc.client, tc.sender, []string{out}, 0)
			tr.want(t, out, tc.code, tc.text)
			if tc.code == 250 && tr.Data.Code != 250 {
				t.Errorf("end of DATA: %v", tr.Data)
			}
		})
	}
}

func TestPolicyDomainAddedWithoutReload(t *testing.T) {
	e := newPolicyEnv(t)
	addr, rcpt := e.Postfix.Addr(), "u@new.test"
	before := transact(t, addr, outsideIP, "a@sender.example", []string{rcpt}, 0)
	before.want(t, rcpt, 554, "Relay access denied")

	e.addDomain(t, "new.test")
	e.cli(t, "user", "add", rcpt)
	// mailtower reads the settings generation at most once a second;
	// Postfix asks the socketmap at every RCPT. No reload anywhere.
	var tr transaction
	ok := waitFor(30*time.Second, func() bool {
		tr = transact(t, addr, outsideIP, "a@sender.example", []string{rcpt}, 0)
		return tr.Rcpt[rcpt].Code == 250
	})
	if !ok {
		t.Fatalf("domain added with the CLI still refused: %v", tr.Rcpt[rcpt])
	}
	e.waitDelivered(t, rcpt)
	if n := e.Postfix.LogCount("reload"); n != 0 {
		t.Errorf("Postfix was reloaded %d times", n)
	}
}
