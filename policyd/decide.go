package policyd

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/settings"
)

// The fixed actions (SMTPD_POLICY_README, access(5)).
const (
	// ActionDunno lets Postfix's next restriction decide.
	ActionDunno = "DUNNO"
	// ActionOK permits; answered only for a relay network's own outbound
	// mail to a recipient outside the served domains (settings.IsOutbound).
	ActionOK = "OK"
	// ActionTempfail answers malformed requests and internal errors: the
	// client retries later, nothing is ever permitted by an error.
	ActionTempfail = "DEFER_IF_PERMIT Service temporarily unavailable"
)

// Resolver resolves a recipient's domain, user and policy (settings.Resolver).
type Resolver interface {
	Resolve(ctx context.Context, recipient string) (settings.Resolved, error)
}

// RelaySource finds the domains whose relay networks contain a client
// (settings.RelayIndex).
type RelaySource interface {
	OutboundDomains(ctx context.Context, client netip.Addr) ([]string, error)
}

// Greylist decides greylisting for one attempt (greylist.Greylister).
type Greylist interface {
	Check(ctx context.Context, client netip.Addr, sender, recipient string) (greylist.Result, error)
}

// Decision is the answer to one request.
type Decision struct {
	// Action is the text after "action=".
	Action string
	// Reason is a short stable word for logs and metrics: outbound,
	// relay-denied, block-ip, block-sender, block-sender-domain, size,
	// unknown-user, greylisted, allowed-sender, pass, not-local, not-rcpt.
	Reason string
}

// Decider makes the RCPT-time decisions.
type Decider struct {
	resolver Resolver
	aliases  *aliasCache
	relay    RelaySource
	greylist Greylist
	log      *slog.Logger
}

// DeciderConfig holds what a Decider reads.
type DeciderConfig struct {
	// Resolver must fill Resolved.Rules (settings.NewResolver with a RuleStore).
	Resolver Resolver
	Aliases  AliasSource // nil: no aliases
	Relay    RelaySource
	Greylist Greylist
	// Generation invalidates the alias cache.
	Generation *Generation
	// CacheSize bounds the addresses whose alias status is cached.
	CacheSize int
	Logger    *slog.Logger
}

// NewDecider returns a Decider.
func NewDecider(c DeciderConfig) (*Decider, error) {
	if c.CacheSize <= 0 {
		c.CacheSize = 50_000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	ac, err := newAliasCache(c.Aliases, c.Generation, c.CacheSize)
	if err != nil {
		return nil, err
	}
	return &Decider{resolver: c.Resolver, aliases: ac, relay: c.Relay, greylist: c.Greylist, log: c.Logger}, nil
}

// Decide answers one request. At RCPT, in this order: outbound relay
// (settings.IsOutbound: a recipient outside the served domains, from a
// domain's relay networks with a sender of that domain); refusal of
// other recipients outside the served domains from relay networks; block
// rules of the recipient's scopes; allow-sender rules (skip
// greylisting); the SIZE the client announced against the recipient's
// limit; recipient validation for domains that are not catch-all;
// greylisting for catch-all domains. An error means the caller must
// answer ActionTempfail.
func (d *Decider) Decide(ctx context.Context, req Request) (Decision, error) {
	if req["request"] != "smtpd_access_policy" {
		return Decision{}, fmt.Errorf("%w: request=%q, want smtpd_access_policy", ErrMalformed, req["request"])
	}
	if req.State() != "RCPT" {
		return Decision{ActionDunno, "not-rcpt"}, nil
	}
	rcpt, _, err := settings.NormalizeAddress(req.Recipient())
	if err != nil {
		// Not an address of a customer domain (e.g. a bare "postmaster"):
		// Postfix's own restrictions decide.
		return Decision{ActionDunno, "not-local"}, nil
	}
	sender := req.Sender()
	client, hasClient := req.Client()

	var relayDomains []string
	if hasClient {
		if relayDomains, err = d.relay.OutboundDomains(ctx, client); err != nil {
			return Decision{}, err
		}
	}

	res, err := d.resolver.Resolve(ctx, rcpt)
	if err != nil {
		return Decision{}, err
	}
	// One outbound rule for the policy daemon and the milter
	// (settings.IsOutbound): a recipient of a served domain is inbound
	// and gets every check below, whoever the client is.
	if settings.IsOutbound(relayDomains, sender, res.Domain != nil) {
		return Decision{ActionOK, "outbound"}, nil
	}
	if res.Domain == nil {
		if len(relayDomains) > 0 {
			return Decision{fmt.Sprintf("554 5.7.1 Relay not permitted for sender <%s> from %s", sender, client), "relay-denied"}, nil
		}
		return Decision{ActionDunno, "not-local"}, nil
	}

	if dec, blocked := blockDecision(res.Rules, client, hasClient, sender); blocked {
		return dec, nil
	}
	allowed := allowedSender(res.Rules, sender)

	if size, ok := req.Size(); ok && res.MaxSize > 0 && size > res.MaxSize {
		return Decision{smtpreply.OverSizeFor(rcpt).Line(), "size"}, nil
	}
	if !res.Domain.CatchAll {
		alias := false
		if res.User == nil {
			if alias, err = d.aliases.isAlias(ctx, rcpt); err != nil {
				return Decision{}, err
			}
		}
		if res.User == nil && !alias {
			return Decision{fmt.Sprintf("550 5.1.1 <%s>: User unknown", rcpt), "unknown-user"}, nil
		}
		return Decision{ActionDunno, "pass"}, nil
	}
	if allowed {
		return Decision{ActionDunno, "allowed-sender"}, nil
	}
	if !hasClient || d.greylist == nil {
		return Decision{ActionDunno, "pass"}, nil
	}
	r, err := d.greylist.Check(ctx, client, NormalizeSender(sender), rcpt)
	if err != nil {
		return Decision{}, err
	}
	if r.Pass {
		return Decision{ActionDunno, "greylist-" + r.Reason}, nil
	}
	secs := int(r.RetryIn.Seconds() + 0.999)
	return Decision{smtpreply.Greylisted(secs).Line(), "greylisted"}, nil
}

// blockDecision applies the block rules; the first match, in rule order
// (oldest first), names itself in the reply.
func blockDecision(rules []settings.Rule, client netip.Addr, hasClient bool, sender string) (Decision, bool) {
	for _, r := range rules {
		var what string
		switch r.Kind {
		case settings.BlockIP:
			p, err := netip.ParsePrefix(r.Value)
			if err != nil || !hasClient || !p.Contains(client) {
				continue
			}
			what = "Client " + client.String()
		case settings.BlockSender:
			if !address.MatchSender(r.Value, sender) {
				continue
			}
			what = "Sender <" + sender + ">"
		case settings.BlockSenderDomain:
			d := address.DomainOf(sender)
			if d == "" || !address.InDomain(d, r.Value) {
				continue
			}
			what = "Sender domain " + d
		default:
			continue
		}
		return Decision{fmt.Sprintf("550 5.7.1 %s is blocked by rule %d (%s %s, scope %s)",
			what, r.ID, r.Kind, r.Value, r.Scope), string(r.Kind)}, true
	}
	return Decision{}, false
}

func allowedSender(rules []settings.Rule, sender string) bool {
	for _, r := range rules {
		if r.Kind == settings.AllowSender && address.MatchSender(r.Value, sender) {
			return true
		}
	}
	return false
}
