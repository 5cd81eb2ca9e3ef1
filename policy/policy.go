// Package policy is mailtower's per-recipient decision, written once for
// both front-ends: the policy daemon (policyd, at RCPT) and the milter
// (milter, at end of DATA) translate their protocol into a Request, ask
// the Core, and translate its Decision back into a protocol answer.
//
// The Core resolves the recipient's policy (settings), applies the
// outbound rule, the block and allow-sender rules (address.MatchSender),
// recipient validation and the size rule; Treat maps a scan verdict to the
// policy's action; Notices builds the virus notices of one message.
package policy

import (
	"context"
	"net/netip"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Envelope is the SMTP transaction around a message. It is defined in
// package scan, because scanners read it; this is the core's name for it.
type Envelope = scan.Envelope

// Resolver resolves a recipient's domain, user, policy and rules
// (settings.Resolver with a RuleStore).
type Resolver interface {
	Resolve(ctx context.Context, recipient string) (settings.Resolved, error)
}

// RelaySource finds the domains whose relay networks contain a client
// (settings.RelayIndex).
type RelaySource interface {
	OutboundDomains(ctx context.Context, client netip.Addr) ([]string, error)
}

// AliasSource tells whether a normalised address is an alias of a
// non-catch-all domain: accepted, though not a user.
type AliasSource interface {
	Exists(ctx context.Context, address string) (bool, error)
}

// Config is what a Core reads.
type Config struct {
	// Resolver is required.
	Resolver Resolver
	// Relay finds relay networks; nil means no outbound relay.
	Relay RelaySource
	// Aliases validates recipients that are not users; nil means no
	// aliases (every such recipient of a non-catch-all domain is unknown).
	Aliases AliasSource
	// OutboundSpamLevel is the spam level (1-5, settings.SpamThresholds)
	// at which an authenticated user's mail to a recipient outside the
	// served domains is held as outbound spam ([sasl]
	// outbound_spam_level); 0 = never held.
	OutboundSpamLevel int
}

// Core makes the per-recipient decisions. It is safe for concurrent use
// when its sources are.
type Core struct {
	resolver Resolver
	relay    RelaySource
	aliases  AliasSource
	holdAt   float64 // Decision.HoldSpamAt of outbound-auth recipients
}

// New returns a Core over c.
func New(c Config) *Core {
	return &Core{resolver: c.Resolver, relay: c.Relay, aliases: c.Aliases, holdAt: holdThreshold(c.OutboundSpamLevel)}
}

// Resolver returns the resolver c decides by, so that a composition root
// can check that both front-ends share one.
func (c *Core) Resolver() Resolver { return c.resolver }
