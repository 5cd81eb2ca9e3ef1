package policyd

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/policyd/greylist"
)

// The fixed actions (SMTPD_POLICY_README, access(5)); the texts live in
// internal/smtpreply with every other reply of the front-ends.
const (
	// ActionDunno lets Postfix's next restriction decide.
	ActionDunno = smtpreply.Dunno
	// ActionOK permits; answered only for a relay network's own outbound
	// mail to a recipient outside the served domains (policy.Relay).
	ActionOK = smtpreply.Permit
	// ActionTempfail answers malformed requests and internal errors: the
	// client retries later, nothing is ever permitted by an error.
	ActionTempfail = smtpreply.DeferIfPermit
	// ActionVerify makes Postfix ask the customer's server whether the
	// recipient exists (a domain with --verify-recipients callout).
	ActionVerify = smtpreply.VerifyRecipient
)

// Resolver resolves a recipient's domain, user and policy (settings.Resolver).
type Resolver = policy.Resolver

// RelaySource finds the domains whose relay networks contain a client
// (settings.RelayIndex).
type RelaySource = policy.RelaySource

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
	// unknown-user, callout, greylisted, allowed-sender, pass, not-local, not-rcpt,
	// send-limit ([sasl] messages_per_hour), held-spam ([sasl] held_per_hour)
	// (policy.Decision.Reason, plus the greylisting and protocol ones).
	Reason string
	// Detail is for the log line only (e.g. the rule that matched).
	Detail string
}

// Refusal reports whether d refuses the recipient (a reject or a
// temporary refusal such as greylisting), rather than letting Postfix's
// next restriction decide or permitting it.
func (d Decision) Refusal() bool { return d.Action != ActionDunno && d.Action != ActionOK }

// Decider answers policy requests: it asks the policy core (package
// policy) for the recipient's decision, greylists where the core allows
// it, and writes the decision as a Postfix action.
type Decider struct {
	core     *policy.Core
	aliases  *aliasCache // shared with the socketmap
	greylist Greylist
	sends    *SendLimiter
	held     *SendLimiter
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
	// Sends limits the messages of authenticated users (sasl_username);
	// nil = no limit.
	Sends *SendLimiter
	// Held counts each authenticated user's messages held as outbound
	// spam (the milter adds them); while it is full the user's mail is
	// deferred. nil = never deferred.
	Held   *SendLimiter
	Logger *slog.Logger
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
	core := policy.New(policy.Config{Resolver: c.Resolver, Relay: c.Relay, Aliases: ac})
	return &Decider{core: core, aliases: ac, greylist: c.Greylist, sends: c.Sends, held: c.Held,
		log: c.Logger}, nil
}

// Decide answers one request. At RCPT the policy core decides
// (policy.Core.Decide: outbound relay, relay refusal, block rules,
// allow-sender rules, the SIZE the client announced, recipient
// validation); a recipient the core lets be greylisted (catch-all domain,
// sender not allowed) is greylisted here. An error means the caller must
// answer ActionTempfail.
func (d *Decider) Decide(ctx context.Context, req Request) (Decision, error) {
	if req["request"] != "smtpd_access_policy" {
		return Decision{}, fmt.Errorf("%w: request=%q, want smtpd_access_policy", ErrMalformed, req["request"])
	}
	if req.State() != "RCPT" {
		return Decision{ActionDunno, "not-rcpt", ""}, nil
	}
	client, _ := req.Client()
	size, _ := req.Size()
	user := req["sasl_username"]
	if full, retry := d.held.Full(user); user != "" && full {
		d.log.Warn("authenticated user deferred: messages held as spam", "user", user, "client", req["client_address"],
			"from", req.Sender(), "retry_in", retry.Round(time.Second).String())
		return Decision{smtpreply.HeldSpamLimit().Line(), "held-spam", user}, nil
	}
	if user != "" && d.sends != nil {
		if ok, retry := d.sends.Allow(user, req["instance"]); !ok {
			d.log.Warn("authenticated user over the sending limit", "user", user, "client", req["client_address"],
				"from", req.Sender(), "retry_in", retry.Round(time.Second).String())
			return Decision{smtpreply.SendLimit().Line(), "send-limit", user}, nil
		}
	}
	pd, err := d.core.Decide(ctx, policy.Request{Client: client, Sender: req.Sender(), Recipient: req.Recipient(), Size: size,
		AuthUser: user})
	if err != nil {
		return Decision{}, err
	}
	switch pd.Outcome {
	case policy.Relay:
		return Decision{ActionOK, pd.Reason, pd.Detail}, nil
	case policy.Refuse:
		return Decision{pd.Reply.Line(), pd.Reason, pd.Detail}, nil
	case policy.NotLocal:
		return Decision{ActionDunno, pd.Reason, pd.Detail}, nil
	}
	if pd.Verify {
		return Decision{ActionVerify, pd.Reason, pd.Detail}, nil
	}
	if !pd.Greylist || !client.IsValid() || d.greylist == nil {
		return Decision{ActionDunno, pd.Reason, pd.Detail}, nil
	}
	r, err := d.greylist.Check(ctx, client, NormalizeSender(req.Sender()), pd.Recipient)
	if err != nil {
		return Decision{}, err
	}
	if r.Pass {
		return Decision{ActionDunno, "greylist-" + r.Reason, ""}, nil
	}
	secs := int(r.RetryIn.Seconds() + 0.999)
	return Decision{smtpreply.Greylisted(secs).Line(), "greylisted", ""}, nil
}
