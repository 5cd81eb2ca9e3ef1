package policy

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/settings"
)

// Request is what the Core needs to decide for one recipient.
type Request struct {
	// Client is the SMTP client's address; the zero Addr when unknown.
	Client netip.Addr
	// Sender is the envelope sender as given ("" or "<>" is the null sender).
	Sender string
	// Recipient is the envelope recipient as given; the Core normalises it.
	Recipient string
	// Size is the message size in bytes: announced (SIZE=) at RCPT, the
	// real size at end of DATA; 0 when unknown.
	Size int64
	// AuthUser is the SASL login of an authenticated client (submission:
	// Postfix's sasl_username, the milter's {auth_authen}); "" when the
	// client did not log in. Postfix has checked that the sender is one
	// of the user's addresses (smtpd_sender_login_maps).
	AuthUser string
}

// Outcome is the kind of a Decision.
type Outcome int

// The outcomes, in the order the Core checks them.
const (
	// NotLocal: the recipient is of no served domain and the mail is not a
	// customer's outbound mail; Postfix's own restrictions decide at RCPT
	// (reject_unauth_destination), the global policy at DATA.
	NotLocal Outcome = iota
	// Relay: a customer's outbound mail (settings.IsOutbound, or an
	// authenticated user's mail to a recipient outside the served
	// domains): permitted at RCPT, scanned for viruses only at DATA.
	Relay
	// Refuse: the recipient is refused; Decision.Reply says why.
	Refuse
	// Accept: every check passes; the content decides (Treat).
	Accept
)

// String is the outcome's name in logs and tests.
func (o Outcome) String() string {
	return [...]string{"not-local", "relay", "refuse", "accept"}[o]
}

// Decision is the Core's answer for one recipient.
type Decision struct {
	Outcome Outcome
	// Recipient is the normalised recipient (settings.NormalizeAddress),
	// or the recipient as given when it does not parse.
	Recipient string
	// Reason is a short stable word for logs, metrics and tests: outbound,
	// relay-denied, block-ip, block-sender, block-sender-domain, size,
	// unknown-user, callout, allowed-sender, authenticated, pass, not-local,
	// outbound-auth.
	Reason string
	// Reply is the SMTP reply of a refusal (Outcome Refuse).
	Reply smtpreply.Reply
	// Detail is for the admin's log line, never for the reply (e.g. the
	// rule that matched).
	Detail string
	// Policy is the recipient's resolved policy and rules.
	Policy settings.Resolved
	// SenderAllowed: an allow-sender rule of the recipient's scopes
	// matches the sender (SenderAllowed); set whatever the outcome.
	SenderAllowed bool
	// Greylist: the recipient may be greylisted (an accepted recipient of
	// a catch-all domain whose sender is not allowed). Greylisting is the
	// RCPT front-end's, since it needs the retry of the same attempt.
	Greylist bool
	// Verify: the recipient is neither a user nor an alias of a domain
	// whose recipients are checked by callout (settings.VerifyCallout);
	// the RCPT front-end lets Postfix ask the customer's server
	// (reject_unverified_recipient). Every other check above passed.
	Verify bool
	// HoldSpamAt is set for an authenticated user's recipient outside the
	// served domains (reason outbound-auth): the spam score at or above
	// which its copy is held as outbound spam (Treat, Held); +Inf when
	// outbound mail gets no spam verdict, 0 for every other recipient.
	HoldSpamAt float64
}

// Decide decides for one recipient, in this order: outbound relay
// (settings.IsOutbound: a recipient outside the served domains, from a
// domain's relay networks, with a sender of that domain); refusal of other
// recipients outside the served domains from relay networks; block rules
// of the recipient's scopes; allow-sender rules; the size against the
// recipient's limit (OverSize); recipient validation for domains that are
// not catch-all (users and aliases, then a callout where the domain asks
// for one); greylisting for catch-all domains.
// An error means the front-end must answer with a temporary failure.
func (c *Core) Decide(ctx context.Context, req Request) (Decision, error) {
	rcpt, _, err := settings.NormalizeAddress(req.Recipient)
	if err != nil {
		// Not an address of a customer domain (e.g. a bare "postmaster"):
		// Postfix decides at RCPT; the global policy applies at DATA.
		res, err := c.resolver.Resolve(ctx, req.Recipient)
		if err != nil {
			return Decision{}, fmt.Errorf("policy for %s: %w", req.Recipient, err)
		}
		return Decision{Outcome: NotLocal, Recipient: req.Recipient, Reason: "not-local", Policy: res,
			SenderAllowed: SenderAllowed(res.Rules, req.Sender)}, nil
	}
	var relayDomains []string
	if c.relay != nil && req.Client.IsValid() {
		if relayDomains, err = c.relay.OutboundDomains(ctx, req.Client); err != nil {
			return Decision{}, fmt.Errorf("relay networks of %s: %w", req.Client, err)
		}
	}
	res, err := c.resolver.Resolve(ctx, rcpt)
	if err != nil {
		return Decision{}, fmt.Errorf("policy for %s: %w", rcpt, err)
	}
	d := Decision{Recipient: rcpt, Policy: res, SenderAllowed: SenderAllowed(res.Rules, req.Sender)}
	// A recipient of a served domain is inbound and gets every check
	// below, whoever the client is.
	if req.AuthUser != "" && res.Domain == nil {
		d.Outcome, d.Reason, d.HoldSpamAt = Relay, "outbound-auth", c.holdAt
		return d, nil
	}
	if settings.IsOutbound(relayDomains, req.Sender, res.Domain != nil) {
		d.Outcome, d.Reason = Relay, "outbound"
		return d, nil
	}
	if res.Domain == nil {
		if len(relayDomains) > 0 {
			d.Outcome, d.Reason = Refuse, "relay-denied"
			d.Reply = smtpreply.RelayDenied(req.Sender, req.Client.String())
			return d, nil
		}
		d.Outcome, d.Reason = NotLocal, "not-local"
		return d, nil
	}
	if b, ok := blocked(res.Rules, req.Client, req.Sender); ok {
		b.Recipient, b.Policy, b.SenderAllowed = rcpt, res, d.SenderAllowed
		return b, nil
	}
	if OverSize(req.Size, res.MaxSize) {
		d.Outcome, d.Reason, d.Reply = Refuse, "size", smtpreply.OverSizeFor(rcpt)
		d.Detail = fmt.Sprintf("size %d exceeds the limit %d", req.Size, res.MaxSize)
		return d, nil
	}
	d.Outcome, d.Reason = Accept, "pass"
	if !res.Domain.CatchAll {
		if res.User != nil {
			return d, nil
		}
		alias, err := IsAlias(ctx, c.aliases, rcpt)
		if err != nil {
			return Decision{}, err
		}
		switch {
		case alias:
		case res.Domain.VerifyRecipients == settings.VerifyCallout:
			// Not known here: the customer's server is asked. The checks
			// above (block rules, size) came first, so refused senders
			// never cause a probe.
			d.Reason, d.Verify = "callout", true
		default:
			d.Outcome, d.Reason, d.Reply = Refuse, "unknown-user", smtpreply.UserUnknown(rcpt)
		}
		return d, nil
	}
	if d.SenderAllowed {
		d.Reason = "allowed-sender"
		return d, nil
	}
	if req.AuthUser != "" {
		// A customer's user who logged in is no spam robot to greylist.
		d.Reason = "authenticated"
		return d, nil
	}
	d.Greylist = true
	return d, nil
}

// IsAlias reports whether rcpt (normalised) is an alias in src: itself
// or, for local+ext@domain, local@domain. A nil src has no aliases.
func IsAlias(ctx context.Context, src AliasSource, rcpt string) (bool, error) {
	if src == nil {
		return false, nil
	}
	forms := []string{rcpt}
	if a, err := address.Parse(rcpt); err == nil {
		if base := a.WithoutExtension(); base != a {
			forms = append(forms, base.Canonical())
		}
	}
	for _, f := range forms {
		ok, err := src.Exists(ctx, f)
		if err != nil {
			return false, fmt.Errorf("alias %s: %w", f, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// OverSize is the size rule: size exceeds a positive limit. A limit of 0
// (or less) is no limit, and an unknown size (0) never exceeds one.
func OverSize(size, limit int64) bool {
	return limit > 0 && size > limit
}
