//go:build integration

package integration

import (
	"slices"
	"strings"
	"testing"
)

// relayNetIP is the customer server of relay.test in these tests: a
// loopback address outside the test mynetworks (127.0.0.1/32).
const relayNetIP = "127.0.0.2"

// newRelayNetEnv starts a gateway with clamd, spamd and the policy lines
// of `mailtower postfix-config` (relay_domains and recipients from
// mailtower's database, check_policy_service in smtpd_relay_restrictions).
// relay.test sends from relayNetIP; victim.test (spam tagged) and
// quar.test (spam quarantined) are other customers; outside.test is no
// customer domain, yet Postfix routes it to the sink like the others, so
// outbound mail can be looked at.
func newRelayNetEnv(t *testing.T) *Env {
	t.Helper()
	e := NewEnv(t, EnvOptions{
		Domains: []string{"relay.test", "victim.test", "quar.test", "clean.test", "outside.test"},
		PostfixMain: []string{"relay_domains", "relay_recipient_maps",
			"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_policy_service_default_action"},
	})
	e.addDomain(t, "relay.test", "--relay-net", relayNetIP+"/32")
	e.addDomain(t, "victim.test", "--spam-action", "tag")
	e.addDomain(t, "quar.test", "--spam-action", "quarantine")
	e.addDomain(t, "clean.test", "--catch-all") // settle's marker, sent from mynetworks
	e.cli(t, "user", "add", "u@victim.test")
	e.cli(t, "user", "add", "v@quar.test")
	return e
}

// scannedEngines returns the engine list of an X-Mailtower-Scanned value,
// "by mailtower on HOST (a, b)".
func scannedEngines(t *testing.T, got Received) []string {
	t.Helper()
	h := got.Header("X-Mailtower-Scanned")
	if len(h) != 1 {
		t.Fatalf("X-Mailtower-Scanned: %q, want one", h)
	}
	_, list, ok := strings.Cut(h[0], "(")
	if !ok {
		return nil
	}
	return strings.Split(strings.TrimSuffix(list, ")"), ", ")
}

// TestRelayNetNullSenderSpamIsInbound: from a customer's relay network,
// MAIL FROM:<> with spam to other customers' recipients is inbound mail
// for them: spam-checked and treated by their policies (tagged,
// quarantined), and X-Mailtower-Scanned names the engines that ran.
// Outbound mail (own sender, outside recipient) is scanned for viruses
// only and its header says so.
func TestRelayNetNullSenderSpamIsInbound(t *testing.T) {
	e := newRelayNetEnv(t)
	addr := e.Postfix.Addr()
	spam := func(to string) []byte {
		return message([]string{"From: <mailer-daemon@relay.test>", "To: <" + to + ">", "Subject: Delivery failure"},
			"Buy now.\n"+gtube+"\n")
	}

	t.Run("tagged for a tag customer", func(t *testing.T) {
		tr := transactMsg(t, addr, relayNetIP, "", []string{"u@victim.test"}, 0, spam("u@victim.test"))
		tr.want(t, "u@victim.test", 250, "")
		if tr.Data.Code != 250 {
			t.Fatalf("end of DATA: %v", tr.Data)
		}
		got := e.waitDelivered(t, "u@victim.test")
		if v := got.Header("X-Mailtower-Verdict"); len(v) != 1 || v[0] != "spam" {
			t.Errorf("X-Mailtower-Verdict %q, want spam (the message was not spam-checked)", v)
		}
		if s := got.Header("Subject"); len(s) != 1 || !strings.HasPrefix(s[0], spamTag) {
			t.Errorf("Subject %q, want the %q tag", s, spamTag)
		}
		engines := scannedEngines(t, got)
		for _, want := range []string{"clamd", "spamd"} {
			if !slices.Contains(engines, want) {
				t.Errorf("X-Mailtower-Scanned engines %q lack %s", engines, want)
			}
		}
	})

	t.Run("quarantined for a quarantine customer", func(t *testing.T) {
		tr := transactMsg(t, addr, relayNetIP, "", []string{"v@quar.test"}, 0, spam("v@quar.test"))
		tr.want(t, "v@quar.test", 250, "")
		if tr.Data.Code != 250 {
			t.Fatalf("end of DATA: %v", tr.Data)
		}
		e.settle(t)
		if n := len(e.deliveredTo("v@quar.test")); n != 0 {
			t.Errorf("spam from a relay network with a null sender delivered %d times, want quarantined", n)
		}
		if items := e.quarantined(t, "spam", "v@quar.test"); len(items) != 1 {
			t.Errorf("%d spam quarantine entries for v@quar.test, want 1", len(items))
		}
	})

	t.Run("own sender, mixed recipients: the customer's copy is scanned", func(t *testing.T) {
		rcpts := []string{"x@outside.test", "u2@victim.test"}
		e.cli(t, "user", "add", "u2@victim.test")
		tr := transactMsg(t, addr, relayNetIP, "alice@relay.test", rcpts, 0, spam("x@outside.test"))
		for _, r := range rcpts {
			tr.want(t, r, 250, "")
		}
		got := e.waitDelivered(t, "u2@victim.test")
		if v := got.Header("X-Mailtower-Verdict"); len(v) != 1 || v[0] != "spam" {
			t.Errorf("victim's copy: X-Mailtower-Verdict %q, want spam", v)
		}
	})

	t.Run("outbound names only the virus engine", func(t *testing.T) {
		msg := message([]string{"From: <alice@relay.test>", "To: <y@outside.test>", "Subject: hello"}, "Hello.\n")
		tr := transactMsg(t, addr, relayNetIP, "alice@relay.test", []string{"y@outside.test"}, 0, msg)
		tr.want(t, "y@outside.test", 250, "")
		got := e.waitDelivered(t, "y@outside.test")
		if engines := scannedEngines(t, got); len(engines) != 1 || engines[0] != "clamd" {
			t.Errorf("outbound X-Mailtower-Scanned engines %q, want [clamd]: only the virus engine ran", engines)
		}
	})
}

// TestRelayNetTooBroadRefused: a relay network broader than /16 (IPv4)
// or /48 (IPv6) is refused without --force, with an error naming it.
func TestRelayNetTooBroadRefused(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoMilter: true, NoClamd: true, NoSpamd: true})
	e.addDomain(t, "relay.test")
	for _, n := range []string{"0.0.0.0/0", "10.0.0.0/8", "::/0", "2001:db8::/32", "::ffff:0.0.0.0/96"} {
		out, err := e.Mailtower.CLI("domain", "set", "relay.test", "--relay-net", n)
		if err == nil {
			t.Errorf("domain set --relay-net %s accepted without --force: %s", n, out)
			continue
		}
		if !strings.Contains(err.Error()+out, "--force") {
			t.Errorf("domain set --relay-net %s: %v %s; want an error naming --force", n, err, out)
		}
	}
	if out, err := e.Mailtower.CLI("domain", "add", "wide.test", "--relay", e.Sink.Addr(), "--relay-net", "0.0.0.0/0"); err == nil {
		t.Errorf("domain add --relay-net 0.0.0.0/0 accepted without --force: %s", out)
	}
	e.cli(t, "domain", "set", "relay.test", "--relay-net", "192.0.2.0/24", "--relay-net", "2001:db8::/48")
	e.cli(t, "domain", "set", "relay.test", "--relay-net", "10.0.0.0/8", "--force")
	if out := e.cli(t, "domain", "show", "relay.test"); !strings.Contains(out, "10.0.0.0/8") {
		t.Errorf("--force did not store the network:\n%s", out)
	}
}
