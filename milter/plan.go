package milter

import (
	"context"
	"net/netip"
	"strings"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// recipientPlan is what happens to one recipient's copy: the policy
// core's treatment, the core's decision it was made under, and the
// subject tag the milter writes.
type recipientPlan struct {
	policy.Treatment
	// Decision is the core's decision for the recipient (policy.Core.Decide).
	Decision policy.Decision
	// Tag is the subject prefix for Action tag, else empty.
	Tag string
}

// treatment identifies recipients who can share one delivered copy: same
// verdict header, same tag, same rule list.
func (p recipientPlan) treatment() string {
	return string(p.Verdict.Category) + "|" + p.Tag + "|" + strings.Join(p.Verdict.RuleNames(), ",")
}

// decide asks the policy core for every recipient of a message of size
// bytes, before the scan: the decisions say whether the message is a
// customer's outbound mail and hold each recipient's policy.
func decide(ctx context.Context, core *policy.Core, env scan.Envelope, size int64) ([]policy.Decision, error) {
	client, _ := netip.ParseAddr(env.ClientAddr) // the zero Addr when unknown
	out := make([]policy.Decision, 0, len(env.Recipients))
	for _, rcpt := range env.Recipients {
		d, err := core.Decide(ctx, policy.Request{Client: client.Unmap(), Sender: env.Sender, Recipient: rcpt, Size: size,
			AuthUser: env.AuthUser})
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// outbound reports whether a message is a customer's outbound mail, which
// is scanned for viruses only: the core relays every recipient
// (policy.Relay). Without recipients it is not.
func outbound(ds []policy.Decision) bool {
	for _, d := range ds {
		if d.Outcome != policy.Relay {
			return false
		}
	}
	return len(ds) > 0
}

// blockedForAll returns the first refusal when a block rule (block-ip,
// block-sender, block-sender-domain) refuses every recipient. The policy
// daemon refuses such recipients at RCPT; mail that never met it (a
// client in mynetworks, which Postfix permits before
// check_policy_service, or a gateway run without the policy daemon)
// reaches the milter, which then refuses the message with the same
// reply: a definite refusal of the recipients' own rules, told to the
// sender by the client. A block of some recipients only cannot be
// answered after DATA (the milter refuses whole messages) and dropping
// them would lose mail unseen: the message is delivered and the log line
// names the rule. The other RCPT refusals are not repeated here: unknown
// users are refused by Postfix itself (relay_recipient_maps) whoever the
// client, and a relay network inside mynetworks is trusted by the admin
// to relay.
func blockedForAll(ds []policy.Decision) (policy.Decision, bool) {
	for _, d := range ds {
		if d.Outcome != policy.Refuse || !isBlock(d.Reason) {
			return policy.Decision{}, false
		}
	}
	if len(ds) == 0 {
		return policy.Decision{}, false
	}
	return ds[0], true
}

// isBlock reports whether a refusal's reason is a block rule.
func isBlock(reason string) bool {
	switch settings.RuleKind(reason) {
	case settings.BlockIP, settings.BlockSender, settings.BlockSenderDomain:
		return true
	}
	return false
}

// plan turns the scan report into every recipient's treatment
// (policy.Treat: verdict, action, size rule). The other refusals of the
// RCPT stage (see blockedForAll) are logged with the recipient's line.
func plan(env scan.Envelope, ds []policy.Decision, rep *scan.Report, size int64) []recipientPlan {
	plans := make([]recipientPlan, 0, len(ds))
	for i, rcpt := range env.Recipients {
		p := recipientPlan{Treatment: policy.Treat(rcpt, ds[i], rep.Findings, size), Decision: ds[i]}
		if p.Action == settings.ActionTag {
			p.Tag = tagFor(string(p.Verdict.Category))
		}
		plans = append(plans, p)
	}
	return plans
}
