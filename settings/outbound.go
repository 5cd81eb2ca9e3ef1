package settings

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// The outbound rule, the one place it is written. The policy daemon
// relays by it (OK at RCPT), the milter scans by it (viruses only):
//
//   - a recipient is outbound only when it is outside every domain this
//     gateway serves: a customer's recipient is inbound for that customer
//     and gets every inbound check, whoever the client is;
//   - and the client is in a relay network of a domain D and the envelope
//     sender is an address of D or of a subdomain of D. The null sender
//     is never enough: it is what a forger sends first.
//
// A message is outbound only when every recipient is.

// OutboundSender is the sender half of the rule: relayDomains are the
// domains whose relay networks contain the client
// (RelayIndex.OutboundDomains, most specific first). It returns the
// domain the sender belongs to; ok is false for the null sender and for
// senders of other domains.
func OutboundSender(relayDomains []string, sender string) (domain string, ok bool) {
	if strings.Trim(sender, "<>") == "" {
		return "", false
	}
	for _, d := range relayDomains {
		if SenderInDomain(sender, d) {
			return d, true
		}
	}
	return "", false
}

// IsOutbound is the rule for one recipient: served tells whether the
// recipient is of a domain this gateway serves.
func IsOutbound(relayDomains []string, sender string, served bool) bool {
	_, ok := OutboundSender(relayDomains, sender)
	return ok && !served
}

// Outbound applies the rule with live settings: relay networks from a
// RelayIndex, served domains from a Resolver.
type Outbound struct {
	nets     *RelayIndex
	resolver *Resolver
}

// NewOutbound returns the rule over nets and resolver.
func NewOutbound(nets *RelayIndex, resolver *Resolver) *Outbound {
	return &Outbound{nets: nets, resolver: resolver}
}

// Message reports whether a message from client with this envelope
// sender to these recipients is a customer's outbound mail: every
// recipient is outbound. Without recipients it is not.
func (o *Outbound) Message(ctx context.Context, client netip.Addr, sender string, recipients []string) (bool, error) {
	ds, err := o.nets.OutboundDomains(ctx, client)
	if err != nil {
		return false, err
	}
	if _, ok := OutboundSender(ds, sender); !ok || len(recipients) == 0 {
		return false, nil
	}
	for _, r := range recipients {
		served, err := o.served(ctx, r)
		if err != nil {
			return false, err
		}
		if !IsOutbound(ds, sender, served) {
			return false, nil
		}
	}
	return true, nil
}

// served reports whether recipient is of a domain the gateway serves. An
// address that does not parse counts as served: it is not provably
// outside, so it gets the inbound treatment.
func (o *Outbound) served(ctx context.Context, recipient string) (bool, error) {
	if _, _, err := NormalizeAddress(recipient); err != nil {
		return true, nil
	}
	res, err := o.resolver.Resolve(ctx, recipient)
	if err != nil {
		return false, fmt.Errorf("outbound rule: %w", err)
	}
	return res.Domain != nil, nil
}
