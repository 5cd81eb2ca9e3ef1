//go:build integration

package integration

import (
	"strings"
	"testing"
)

// TestMynetworksSkipsPolicydNotBlocks settles what the gateway refuses
// for mail that never meets the policy daemon: Postfix permits clients
// in mynetworks (127.0.0.1 here, as with the generated main.cf) before
// check_policy_service, so only the milter sees their mail.
//
//   - A recipient of a served domain who blocked the sender (or client)
//     is refused for every recipient: the milter answers the policy
//     core's 550 5.7.1 at end of DATA, so the client's MTA tells the
//     sender, as the policy daemon would at RCPT.
//   - Blocked for some recipients only: the milter cannot refuse single
//     recipients after DATA, and must not drop them silently; the message
//     is delivered to all of them and the log line names the rule.
//   - An unknown user of a domain that is not catch-all: Postfix itself
//     refuses it at RCPT (relay_recipient_maps, the socketmap), policy
//     daemon or not.
//   - A customer's relay network that is also in mynetworks may relay
//     any sender: mynetworks is the admin's wider trust (not tested here:
//     Postfix permits it before anything of mailtower runs).
func TestMynetworksSkipsPolicydNotBlocks(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "valid.test")
	for _, u := range []string{"bob@valid.test", "carol@valid.test", "dave@valid.test"} {
		e.cli(t, "user", "add", u)
	}
	e.cli(t, "rule", "add", "bob@valid.test", "--block-sender", "spam@bad.example")
	e.cli(t, "rule", "add", "carol@valid.test", "--block-sender-domain", "bad.example")
	const mynet = "127.0.0.1"
	addr := e.Postfix.Addr()

	all := transact(t, addr, mynet, "spam@bad.example", []string{"bob@valid.test", "carol@valid.test"}, 0)
	all.want(t, "bob@valid.test", 250, "")
	all.want(t, "carol@valid.test", 250, "")
	if all.Data.Code != 550 || !contains(all.Data.Text, "5.7.1", "blocked by rule") {
		t.Errorf("blocked for every recipient: end of DATA %v, want 550 5.7.1 ... blocked by rule", all.Data)
	}

	some := transact(t, addr, mynet, "spam@bad.example", []string{"bob@valid.test", "dave@valid.test"}, 0)
	if some.Data.Code != 250 {
		t.Errorf("blocked for one recipient of two: end of DATA %v, want 250", some.Data)
	}
	e.waitDelivered(t, "dave@valid.test")
	e.waitDelivered(t, "bob@valid.test")

	unknown := transact(t, addr, mynet, "a@sender.example", []string{"nobody@valid.test"}, 0)
	unknown.want(t, "nobody@valid.test", 550, "5.1.1")

	e.waitQueueEmpty(t)
	if got := e.deliveredTo("carol@valid.test"); len(got) != 0 {
		t.Errorf("carol got %d messages from the sender she blocked", len(got))
	}
}

// contains reports whether s contains every one of parts.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
