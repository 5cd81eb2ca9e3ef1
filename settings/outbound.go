package settings

import "strings"

// The outbound rule, the one place it is written. The policy core
// (policy.Core.Decide) applies it per recipient for both front-ends: the
// policy daemon relays by it (OK at RCPT), the milter scans by it
// (viruses only, when every recipient is outbound):
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
