package policy

import (
	"fmt"
	"net/netip"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/settings"
)

// SenderAllowed reports whether an allow-sender rule among rules (the
// recipient's scopes) matches the envelope sender: address.MatchSender,
// so "@domain" covers its subdomains and "+ext" is ignored. An allowed
// sender skips greylisting at RCPT and the spam verdict at DATA; viruses,
// content rules, block rules and the size limit still apply.
func SenderAllowed(rules []settings.Rule, sender string) bool {
	for _, r := range rules {
		if r.Kind == settings.AllowSender && address.MatchSender(r.Value, sender) {
			return true
		}
	}
	return false
}

// blocked applies the block rules; the first match, in rule order
// (oldest first), refuses the recipient and names itself in the reply.
// client is invalid when unknown.
func blocked(rules []settings.Rule, client netip.Addr, sender string) (Decision, bool) {
	for _, r := range rules {
		var what string
		switch r.Kind {
		case settings.BlockIP:
			p, err := netip.ParsePrefix(r.Value)
			if err != nil || !client.IsValid() || !p.Contains(client) {
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
		return Decision{Outcome: Refuse, Reason: string(r.Kind),
			Reply:  smtpreply.Blocked(what, r.ID, string(r.Kind), r.Value, r.Scope.String()),
			Detail: fmt.Sprintf("rule %d: %s %s, scope %s", r.ID, r.Kind, r.Value, r.Scope)}, true
	}
	return Decision{}, false
}
