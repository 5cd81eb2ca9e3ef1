// Package policytest holds the cases that both front-ends' tests run
// through their adapter (policyd at RCPT, milter at end of DATA), so that
// the two are checked against one table of per-recipient decisions of the
// policy core, over one set of settings.
package policytest

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/settings"
)

// Aliases is an in-memory alias source (policy.AliasSource).
type Aliases map[string]bool

// Exists reports whether address is an alias.
func (a Aliases) Exists(_ context.Context, address string) (bool, error) { return a[address], nil }

// Seed adds the settings the cases need to st and returns the aliases:
//   - valid.example validates its recipients: users bob (limit 1000
//     bytes) and carol, alias sales, relay network 192.0.2.0/24, and a
//     block-sender rule for spam@bad.example;
//   - catch.example is catch-all and allows senders of trusted.example
//     (and its subdomains);
//   - callout.example checks unknown recipients with the customer's
//     server (settings.VerifyCallout), has user dave and blocks
//     spam@bad.example.
func Seed(t testing.TB, st *settings.SQLStore) Aliases {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	limit := int64(1000)
	must(st.AddDomain(ctx, settings.Domain{Name: "valid.example", Relay: "mx.valid.example:25",
		RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}))
	must(st.AddDomain(ctx, settings.Domain{Name: "catch.example", Relay: "[10.0.0.1]:2525", CatchAll: true}))
	must(st.AddDomain(ctx, settings.Domain{Name: "callout.example", Relay: "[10.0.0.2]", VerifyRecipients: settings.VerifyCallout}))
	must(st.AddUser(ctx, settings.User{Address: "dave@callout.example", Domain: "callout.example"}))
	must(st.AddUser(ctx, settings.User{Address: "bob@valid.example", Domain: "valid.example",
		Overrides: settings.Overrides{MaxSize: &limit}}))
	must(st.AddUser(ctx, settings.User{Address: "carol@valid.example", Domain: "valid.example"}))
	for _, r := range []settings.Rule{
		{Scope: settings.Scope{Kind: settings.ScopeDomain, Name: "valid.example"}, Kind: settings.BlockSender, Value: "spam@bad.example"},
		{Scope: settings.Scope{Kind: settings.ScopeDomain, Name: "catch.example"}, Kind: settings.AllowSender, Value: "@trusted.example"},
		{Scope: settings.Scope{Kind: settings.ScopeDomain, Name: "callout.example"}, Kind: settings.BlockSender, Value: "spam@bad.example"},
	} {
		_, err := st.AddRule(ctx, r)
		must(err)
	}
	return Aliases{"sales@valid.example": true}
}

// Case is one recipient of one message and the decision both adapters
// must reach.
type Case struct {
	Name      string
	Client    string // the SMTP client's address
	Sender    string
	Recipient string
	Size      int64 // message size: announced at RCPT, the real size at DATA
	Spammy    bool  // the content is spam by the test scanners
	// AuthUser is the SASL login (submission): policyd's sasl_username,
	// the milter's {auth_authen}.
	AuthUser string
	Outcome  policy.Outcome
	Reason   string // policy.Decision.Reason
	// Policyd is the policy daemon's action; a trailing "*" matches any rest.
	Policyd string
	// Milter is the milter's answer for the message: "accept" (delivered,
	// maybe tagged), "quarantine" (copy withheld, message discarded) or
	// "reject" (5xx at end of DATA). The milter sees what the policy
	// daemon refused only when Postfix skipped it (mynetworks): it repeats
	// block-rule refusals and the size rule, not the unknown-user and
	// relay refusals (milter.blockedForAll says why).
	Milter string
}

// Cases are the shared table: allow-sender, block-sender, size, outbound,
// relay refusal, alias, catch-all, unknown user and authenticated
// submission.
var Cases = []Case{
	{Name: "allowed sender on a subdomain skips greylisting and the spam verdict", Client: "203.0.113.9",
		Sender: "news@mail.trusted.example", Recipient: "anyone@catch.example", Size: 200, Spammy: true,
		Outcome: policy.Accept, Reason: "allowed-sender", Policyd: "DUNNO", Milter: "accept"},
	{Name: "other sender to a catch-all domain: spam verdict", Client: "203.0.113.9",
		Sender: "stranger@elsewhere.example", Recipient: "anyone@catch.example", Size: 200, Spammy: true,
		Outcome: policy.Accept, Reason: "pass", Policyd: "DUNNO", Milter: "quarantine"},
	{Name: "blocked sender", Client: "203.0.113.9", Sender: "spam@bad.example", Recipient: "carol@valid.example", Size: 200,
		Outcome: policy.Refuse, Reason: "block-sender",
		Policyd: "550 5.7.1 Sender <spam@bad.example> is blocked by rule *", Milter: "reject"},
	{Name: "size over the recipient's limit", Client: "203.0.113.9", Sender: "a@elsewhere.example",
		Recipient: "bob@valid.example", Size: 5000, Outcome: policy.Refuse, Reason: "size",
		Policyd: "552 5.3.4 Message size exceeds the limit for <bob@valid.example>", Milter: "reject"},
	{Name: "outbound from a relay network", Client: "192.0.2.5", Sender: "u@valid.example",
		Recipient: "x@gmail.example", Size: 200, Spammy: true, Outcome: policy.Relay, Reason: "outbound",
		Policyd: "OK", Milter: "accept"},
	{Name: "relay network with a foreign sender", Client: "192.0.2.5", Sender: "eve@other.example",
		Recipient: "x@gmail.example", Size: 200, Outcome: policy.Refuse, Reason: "relay-denied",
		Policyd: "554 5.7.1 Relay not permitted for sender <eve@other.example> from 192.0.2.5", Milter: "accept"},
	{Name: "alias", Client: "203.0.113.9", Sender: "a@elsewhere.example", Recipient: "Sales@valid.example", Size: 200,
		Outcome: policy.Accept, Reason: "pass", Policyd: "DUNNO", Milter: "accept"},
	{Name: "alias with +ext", Client: "203.0.113.9", Sender: "a@elsewhere.example", Recipient: "sales+x@valid.example", Size: 200,
		Outcome: policy.Accept, Reason: "pass", Policyd: "DUNNO", Milter: "accept"},
	{Name: "user", Client: "203.0.113.9", Sender: "a@elsewhere.example", Recipient: "carol@valid.example", Size: 200,
		Outcome: policy.Accept, Reason: "pass", Policyd: "DUNNO", Milter: "accept"},
	{Name: "unknown user", Client: "203.0.113.9", Sender: "a@elsewhere.example", Recipient: "nobody@valid.example", Size: 200,
		Outcome: policy.Refuse, Reason: "unknown-user", Policyd: "550 5.1.1 <nobody@valid.example>: User unknown", Milter: "accept"},
	{Name: "callout domain: unknown recipient is verified by the customer's server", Client: "203.0.113.9",
		Sender: "a@elsewhere.example", Recipient: "someone@callout.example", Size: 200,
		Outcome: policy.Accept, Reason: "callout", Policyd: "reject_unverified_recipient", Milter: "accept"},
	{Name: "callout domain: a known user needs no probe", Client: "203.0.113.9",
		Sender: "a@elsewhere.example", Recipient: "dave@callout.example", Size: 200,
		Outcome: policy.Accept, Reason: "pass", Policyd: "DUNNO", Milter: "accept"},
	{Name: "callout domain: a blocked sender is refused before any probe", Client: "203.0.113.9",
		Sender: "spam@bad.example", Recipient: "someone@callout.example", Size: 200,
		Outcome: policy.Refuse, Reason: "block-sender",
		Policyd: "550 5.7.1 Sender <spam@bad.example> is blocked by rule *", Milter: "reject"},
	{Name: "authenticated user to an outside recipient: outbound, scanned for viruses", Client: "203.0.113.50",
		Sender: "bob@valid.example", AuthUser: "bob@valid.example", Recipient: "x@gmail.example", Size: 200, Spammy: true,
		Outcome: policy.Relay, Reason: "outbound-auth", Policyd: "OK", Milter: "accept"},
	{Name: "the same without login: not relayed", Client: "203.0.113.50",
		Sender: "bob@valid.example", Recipient: "x@gmail.example", Size: 200,
		Outcome: policy.NotLocal, Reason: "not-local", Policyd: "DUNNO", Milter: "accept"},
	{Name: "authenticated user to a catch-all domain: not greylisted, fully scanned", Client: "203.0.113.50",
		Sender: "bob@valid.example", AuthUser: "bob@valid.example", Recipient: "anyone@catch.example", Size: 200, Spammy: true,
		Outcome: policy.Accept, Reason: "authenticated", Policyd: "DUNNO", Milter: "quarantine"},
}

// MatchAction reports whether a policy daemon action matches want (a
// trailing "*" matches any rest).
func MatchAction(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}
