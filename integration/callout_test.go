//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// calloutLines are the verify(8) parameters of `mailtower postfix-config`
// (docs/callout.md) that the callout test runs with.
var calloutLines = []string{"unverified_recipient_reject_code", "unverified_recipient_defer_code",
	"unverified_recipient_tempfail_action", "unverified_recipient_reject_reason", "address_verify_sender",
	"address_verify_map", "address_verify_positive_expire_time", "address_verify_positive_refresh_time",
	"address_verify_negative_cache", "address_verify_negative_expire_time", "address_verify_negative_refresh_time"}

// probes counts the verify(8) probes the sink saw for rcpt (MAIL FROM the
// double-bounce address, which address_verify_sender names).
func (e *Env) probes(rcpt string) int {
	n := 0
	for _, r := range e.Sink.Rcpts() {
		if strings.EqualFold(r.To, rcpt) && strings.HasPrefix(r.From, "double-bounce@") {
			n++
		}
	}
	return n
}

// rcptUntilDecided sends RCPT to rcpt until Postfix stops answering
// "verification in progress" (smtpd waits a few seconds for a probe, then
// defers) and returns the last reply.
func rcptUntilDecided(t *testing.T, e *Env, rcpt string) Reply {
	t.Helper()
	var r Reply
	waitFor(waitLimit, func() bool {
		r = transact(t, e.Postfix.Addr(), outsideIP, "alice@sender.example", []string{rcpt}, 0).Rcpt[rcpt]
		return !strings.Contains(r.Text, "in progress")
	})
	return r
}

// TestCalloutVerifiesRecipients: a domain with --verify-recipients
// callout, served by the policy daemon's reject_unverified_recipient
// without a Postfix reload, against a customer server that refuses some
// addresses (550) and greylists others (451): unknown recipients are
// refused at RCPT, known ones accepted, a 451 or a server that is down
// defers and never rejects, the verify cache answers the second time, and
// listed users and refused senders cause no probe at all.
func TestCalloutVerifiesRecipients(t *testing.T) {
	e := NewEnv(t, EnvOptions{
		Domains: []string{"unused.test"}, NoClamd: true, NoSpamd: true,
		PostfixMain: append([]string{"relay_domains", "transport_maps", "relay_recipient_maps",
			"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_policy_service_default_action"}, calloutLines...),
	})
	e.Sink.SetRcptReply(func(addr string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(addr, "nobody@"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
		case strings.HasPrefix(addr, "grey@"):
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
		}
		return nil
	})
	// Postfix runs from here on: the domain, its callout and its user are
	// live through the socketmap and the policy daemon, no reload.
	e.addDomain(t, "callout.test")
	e.cli(t, "domain", "set", "callout.test", "--verify-recipients", "callout")
	e.cli(t, "user", "add", "listed@callout.test")
	e.cli(t, "rule", "add", "callout.test", "--block-sender", "spammer@bad.example")
	time.Sleep(1500 * time.Millisecond) // the daemons' settings generation is read at most once a second

	// Known to the customer's server: accepted after one probe.
	if r := rcptUntilDecided(t, e, "known@callout.test"); r.Code != 250 {
		t.Fatalf("known recipient: %v, want 250", r)
	}
	e.waitDelivered(t, "known@callout.test")
	if n := e.probes("known@callout.test"); n != 1 {
		t.Fatalf("%d probes for known@, want 1", n)
	}
	// Unknown: refused at RCPT with a permanent code.
	r := rcptUntilDecided(t, e, "nobody@callout.test")
	if r.Code != 550 || !strings.Contains(r.Text, "Recipient address unknown") {
		t.Fatalf("unknown recipient: %v, want 550 ... Recipient address unknown", r)
	}
	probedNobody := e.probes("nobody@callout.test")
	if probedNobody != 1 {
		t.Fatalf("%d probes for nobody@, want 1", probedNobody)
	}
	// The cache answers the second time, positive and negative alike.
	second := transact(t, e.Postfix.Addr(), outsideIP, "bob@sender.example", []string{"known@callout.test", "nobody@callout.test"}, 0)
	second.want(t, "known@callout.test", 250, "")
	second.want(t, "nobody@callout.test", 550, "Recipient address unknown")
	if a, b := e.probes("known@callout.test"), e.probes("nobody@callout.test"); a != 1 || b != 1 {
		t.Errorf("second attempt probed again: known@ %d, nobody@ %d probes, want 1 each", a, b)
	}

	// The customer's server greylists (451): deferred, never rejected.
	for i := 0; i < 3; i++ {
		r := transact(t, e.Postfix.Addr(), outsideIP, "alice@sender.example", []string{"grey@callout.test"}, 0).Rcpt["grey@callout.test"]
		if r.Code/100 != 4 {
			t.Fatalf("attempt %d for a greylisted recipient: %v, want 4xx", i+1, r)
		}
		time.Sleep(time.Second)
	}
	if e.probes("grey@callout.test") == 0 {
		t.Error("no probe reached the customer's server for grey@")
	}
	// The customer's server is down: deferred, never rejected.
	e.Sink.Stop()
	for i := 0; i < 2; i++ {
		r := transact(t, e.Postfix.Addr(), outsideIP, "alice@sender.example", []string{"new@callout.test"}, 0).Rcpt["new@callout.test"]
		if r.Code/100 != 4 {
			t.Fatalf("attempt %d with the customer's server down: %v, want 4xx", i+1, r)
		}
	}
	if err := e.Sink.Start(); err != nil {
		t.Fatal(err)
	}

	// No probe for a listed user, nor for a refused sender: the policy
	// daemon's checks come first.
	transact(t, e.Postfix.Addr(), outsideIP, "alice@sender.example", []string{"listed@callout.test"}, 0).
		want(t, "listed@callout.test", 250, "")
	transact(t, e.Postfix.Addr(), outsideIP, "spammer@bad.example", []string{"someone@callout.test"}, 0).
		want(t, "someone@callout.test", 550, "is blocked by rule")
	for _, a := range []string{"listed@callout.test", "someone@callout.test"} {
		if n := e.probes(a); n != 0 {
			t.Errorf("%d probes for %s, want none", n, a)
		}
	}
	if n := e.Postfix.LogCount("reject: RCPT", "nobody@callout.test"); n < 1 {
		t.Errorf("Postfix logged %d RCPT rejects of nobody@, want at least 1", n)
	}
	t.Logf("RCPTs seen by the customer's server: %+v", e.Sink.Rcpts())
}
