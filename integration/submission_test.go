//go:build integration

package integration

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/smtp"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tlsMain are the main.cf parameters the submission tests take from
// `mailtower postfix-config --main`: the TLS lines admins install.
var tlsMain = []string{"smtpd_tls_cert_file", "smtpd_tls_key_file", "smtpd_tls_security_level",
	"smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtpd_tls_auth_only", "smtpd_tls_loglevel",
	"smtpd_tls_received_header", "smtp_tls_security_level", "smtp_tls_loglevel", "milter_mail_macros"}

// swaks runs swaks with args and returns its transcript; exit codes are
// in the transcript's last lines, the tests look at the SMTP replies.
func swaks(t *testing.T, args ...string) string {
	t.Helper()
	awaitSettingsVisible()
	out, _ := exec.Command("swaks", append([]string{"--timeout", "30", "--hide-informational"}, args...)...).CombinedOutput()
	return string(out)
}

// sendAuth sends msg over STARTTLS after AUTH PLAIN as user.
func sendAuth(addr, user, password, from, to string, msg []byte) error {
	awaitSettingsVisible()
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil { // the snakeoil certificate
		return fmt.Errorf("STARTTLS: %w", err)
	}
	if err := c.Auth(smtp.PlainAuth("", user, password, "127.0.0.1")); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return c.Quit()
}

// setPassword runs `mailtower user passwd LOGIN` with the password on
// standard input.
func (e *Env) setPassword(t *testing.T, login, password string) {
	t.Helper()
	cmd := exec.Command(mailtowerBin, "--config", e.Mailtower.Config, "user", "passwd", login)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user passwd %s: %v\n%s", login, err, out)
	}
}

// Issue 16: customers send with their address and password, over TLS
// only (587 STARTTLS, 465 implicit TLS), only as themselves; the
// gateway's authentication server is mailtower; the mail is scanned as
// the customer's outbound mail; inbound STARTTLS on 25 works.
func TestSubmission(t *testing.T) {
	e := NewEnv(t, EnvOptions{Domains: append([]string{"valid.test", "outside.test"}, defaultDomains...),
		PostfixMain: tlsMain, Submission: true, SASLExtra: `max_delay = "1s"`})
	m := e.Mailtower
	e.addDomain(t, "valid.test")
	for _, u := range []string{"bob@valid.test", "carol@valid.test", "dave@valid.test"} {
		if _, err := m.CLI("user", "add", u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.CLI("alias", "add", "team@valid.test", "--target", "bob@valid.test"); err != nil {
		t.Fatal(err)
	}
	e.setPassword(t, "bob@valid.test", "bob's long password")
	e.setPassword(t, "carol@valid.test", "carol's long password")
	e.setPassword(t, "dave@valid.test", "dave's long password")
	sub := fmt.Sprintf("127.0.0.1:%d", m.SubmissionPort)
	subs := fmt.Sprintf("127.0.0.1:%d", m.SubmissionsPort)
	for _, addr := range []string{sub, subs, fmt.Sprintf("127.0.0.1:%d", m.SASLPort)} {
		if !waitFor(30*time.Second, func() bool { return dialable(addr) == nil }) {
			t.Fatalf("%s not listening", addr)
		}
	}
	bob := []string{"--auth-user", "bob@valid.test", "--auth-password", "bob's long password"}
	mail := func(from, to, subject string) []string {
		return []string{"--from", from, "--to", to, "--header", "Subject: " + subject, "--body", "Hello from " + from + "\n"}
	}

	t.Run("AUTH is not offered before STARTTLS", func(t *testing.T) {
		out := swaks(t, "--server", sub, "--quit-after", "EHLO")
		if !strings.Contains(out, "STARTTLS") || strings.Contains(out, "AUTH ") {
			t.Errorf("EHLO without TLS:\n%s", out)
		}
		out = swaks(t, "--server", sub, "--tls", "--quit-after", "EHLO")
		if !strings.Contains(out, "250-AUTH PLAIN LOGIN") && !strings.Contains(out, "250 AUTH PLAIN LOGIN") {
			t.Errorf("EHLO after STARTTLS offers no AUTH PLAIN LOGIN:\n%s", out)
		}
		// No mail without login, with or without TLS.
		out = swaks(t, append([]string{"--server", sub, "--tls"}, mail("bob@valid.test", "x0@outside.test", "no login")...)...)
		if !strings.Contains(out, "554 5.7.1") {
			t.Errorf("unauthenticated RCPT on 587:\n%s", out)
		}
	})

	t.Run("PLAIN and LOGIN over STARTTLS reach the sink", func(t *testing.T) {
		for _, mech := range []string{"PLAIN", "LOGIN"} {
			rcpt := "x-" + strings.ToLower(mech) + "@outside.test"
			args := append([]string{"--server", sub, "--tls", "--auth", mech}, bob...)
			out := swaks(t, append(args, mail("bob@valid.test", rcpt, "via "+mech)...)...)
			if !strings.Contains(out, "235 2.7.0 Authentication successful") || !strings.Contains(out, "250 2.0.0 Ok: queued") {
				t.Fatalf("%s:\n%s", mech, out)
			}
			got := e.waitDelivered(t, rcpt)
			if s := got.Header("Subject"); len(s) != 1 || s[0] != "via "+mech {
				t.Errorf("%s: delivered subject %v", mech, s)
			}
		}
		// Sending as one's alias is allowed.
		out := swaks(t, append(append([]string{"--server", sub, "--tls", "--auth", "PLAIN"}, bob...),
			mail("team@valid.test", "x-alias@outside.test", "as alias")...)...)
		if !strings.Contains(out, "250 2.0.0 Ok: queued") {
			t.Fatalf("as alias:\n%s", out)
		}
		e.waitDelivered(t, "x-alias@outside.test")
	})

	t.Run("implicit TLS on 465", func(t *testing.T) {
		out := swaks(t, append(append([]string{"--server", subs, "--tlsc", "--auth", "PLAIN"}, bob...),
			mail("bob@valid.test", "x-465@outside.test", "via 465")...)...)
		if !strings.Contains(out, "235 2.7.0") || !strings.Contains(out, "250 2.0.0 Ok: queued") {
			t.Fatalf("465:\n%s", out)
		}
		e.waitDelivered(t, "x-465@outside.test")
	})

	t.Run("wrong password gets 535", func(t *testing.T) {
		out := swaks(t, "--server", sub, "--tls", "--auth", "PLAIN", "--auth-user", "carol@valid.test",
			"--auth-password", "not carol's password", "--quit-after", "AUTH")
		if !strings.Contains(out, "535 5.7.8 Error: authentication failed: Authentication failed") {
			t.Errorf("wrong password:\n%s", out)
		}
		out = swaks(t, "--server", sub, "--tls", "--auth", "PLAIN", "--auth-user", "nobody@valid.test",
			"--auth-password", "any password at all", "--quit-after", "AUTH")
		if !strings.Contains(out, "535 5.7.8 Error: authentication failed: Authentication failed") {
			t.Errorf("unknown user:\n%s", out)
		}
	})

	t.Run("sending as another user's address is refused", func(t *testing.T) {
		out := swaks(t, append(append([]string{"--server", sub, "--tls", "--auth", "PLAIN"}, bob...),
			mail("carol@valid.test", "x-forged@outside.test", "forged")...)...)
		if !strings.Contains(out, "553 5.7.1") || !strings.Contains(out, "not owned by user bob@valid.test") {
			t.Errorf("bob as carol:\n%s", out)
		}
	})

	t.Run("authenticated mail is scanned: a virus is quarantined", func(t *testing.T) {
		enc := base64.StdEncoding.EncodeToString([]byte(eicar))
		msg := message([]string{"From: <bob@valid.test>", "To: <x-virus@outside.test>", "Subject: infected",
			`Content-Type: multipart/mixed; boundary="b1"`},
			"--b1\nContent-Type: text/plain\n\nSee attached.\n--b1\nContent-Type: application/octet-stream; name=\"a.com\"\n"+
				"Content-Transfer-Encoding: base64\n\n"+enc+"\n--b1--\n")
		if err := sendAuth(sub, "bob@valid.test", "bob's long password", "bob@valid.test", "x-virus@outside.test", msg); err != nil {
			t.Fatal(err)
		}
		e.settle(t)
		// (The recipient may get a virus notice, never the virus.)
		for _, got := range e.deliveredTo("x-virus@outside.test") {
			if bytes.Contains(got.Data, []byte(enc)) || bytes.Contains(got.Data, []byte(eicar)) {
				t.Errorf("the virus was delivered")
			}
		}
		if items := e.quarantined(t, "virus", "x-virus@outside.test"); len(items) != 1 {
			t.Errorf("quarantined %+v, want one virus entry", items)
		}
		log, _ := os.ReadFile(m.Log)
		if !strings.Contains(string(log), "outbound=true") {
			t.Errorf("the milter did not treat the authenticated mail as outbound")
		}
	})

	t.Run("after repeated failures the login is refused", func(t *testing.T) {
		var out string
		for i := 0; i < 10; i++ {
			out = swaks(t, "--server", sub, "--tls", "--auth", "PLAIN", "--auth-user", "dave@valid.test",
				"--auth-password", fmt.Sprintf("guess %d", i), "--quit-after", "AUTH")
			if !strings.Contains(out, "535 5.7.8") {
				t.Fatalf("guess %d:\n%s", i, out)
			}
		}
		// Now even the right password is not checked.
		out = swaks(t, "--server", sub, "--tls", "--auth", "PLAIN", "--auth-user", "dave@valid.test",
			"--auth-password", "dave's long password", "--quit-after", "AUTH")
		if !strings.Contains(out, "535 5.7.8 Error: authentication failed: Too many failed logins, try again later") {
			t.Errorf("after 10 failures:\n%s", out)
		}
		log, _ := os.ReadFile(m.Log)
		if !strings.Contains(string(log), "sasl login refused: too many failures") {
			t.Errorf("no log line for the refusal")
		}
	})

	t.Run("inbound STARTTLS on 25", func(t *testing.T) {
		out := swaks(t, "--server", e.Postfix.Addr(), "--tls", "--from", "someone@sender.example",
			"--to", "tls-user@clean.test", "--header", "Subject: over TLS", "--body", "hello\n")
		if !strings.Contains(out, "220 2.0.0 Ready to start TLS") || !strings.Contains(out, "250 2.0.0 Ok: queued") {
			t.Fatalf("swaks --tls on 25:\n%s", out)
		}
		got := e.waitDelivered(t, "tls-user@clean.test")
		if r := strings.Join(got.Header("Received"), "\n"); !strings.Contains(r, "TLS") {
			t.Errorf("Received header does not record TLS: %s", r)
		}
		log, _ := os.ReadFile(e.Postfix.Log)
		if !strings.Contains(string(log), "TLS connection established from") || !strings.Contains(string(log), "TLSv1.") {
			t.Errorf("Postfix's log does not show the negotiated TLS version")
		}
		// Port 25 offers no AUTH at all, with TLS or not.
		if out := swaks(t, "--server", e.Postfix.Addr(), "--tls", "--quit-after", "EHLO"); strings.Contains(out, "AUTH ") {
			t.Errorf("port 25 offers AUTH:\n%s", out)
		}
	})
}

// Outbound TLS to the customers' servers (issue 16): required for a
// domain set with --tls encrypt, through the socketmap's tls table, and
// used once the server offers it.
func TestRelayTLS(t *testing.T) {
	e := NewEnv(t, EnvOptions{Domains: append([]string{"strict.test"}, defaultDomains...), NoSpamd: true,
		PostfixMain: append([]string{"smtp_tls_protocols", "smtp_tls_mandatory_protocols", "smtp_tls_CAfile",
			"smtp_tls_session_cache_database", "smtp_tls_policy_maps"}, tlsMain...)})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "strict.test", "--tls", "encrypt")
	msg := func(to, subject string) []byte {
		return message([]string{"From: <a@sender.example>", "To: <" + to + ">", "Subject: " + subject}, "hello\n")
	}
	// The customer server offers no TLS: the --tls encrypt domain's mail
	// waits in the queue. (Opportunistic mail to a server without TLS
	// goes in plain text: TestSubmission's sink.) Postfix's smtp
	// processes cache a next hop's policy while they live, so this test
	// does not change policies of a next hop in use.
	e.sendOK(t, "a@sender.example", []string{"u@strict.test"}, msg("u@strict.test", "must be encrypted"))
	var deferred bool
	waitFor(waitLimit, func() bool {
		q, _ := e.Postfix.Queue()
		for _, m := range q {
			for _, r := range m.Recipients {
				deferred = deferred || (r.Address == "u@strict.test" && strings.Contains(r.DelayReason, "TLS is required, but was not offered"))
			}
		}
		return deferred
	})
	if !deferred || len(e.deliveredTo("u@strict.test")) != 0 {
		t.Fatalf("--tls encrypt domain: deferred=%v, delivered %d", deferred, len(e.deliveredTo("u@strict.test")))
	}
	// The customer server learns STARTTLS: both go over TLS.
	if err := e.Sink.UseTLS(); err != nil {
		t.Fatal(err)
	}
	if err := e.Postfix.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := e.waitDelivered(t, "u@strict.test"); !strings.HasPrefix(got.TLS, "TLS 1.") {
		t.Errorf("strict domain delivered over %q", got.TLS)
	}
	e.sendOK(t, "a@sender.example", []string{"v@clean.test"}, msg("v@clean.test", "opportunistic"))
	if got := e.waitDelivered(t, "v@clean.test"); !strings.HasPrefix(got.TLS, "TLS 1.") {
		t.Errorf("TLS not used: %q", got.TLS)
	}
	if e.Postfix.LogCount("TLS connection established to", "127.0.0.1") == 0 {
		t.Errorf("Postfix's log does not show the outbound TLS session")
	}
}
