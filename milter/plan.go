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

// plan turns the scan report into every recipient's treatment
// (policy.Treat: verdict, action, size rule). The refusals of the RCPT
// stage (block rules, unknown users, relay refusal) are the policy
// daemon's: Postfix asks it before the milter sees the message, or skips
// it on purpose (permit_mynetworks); the milter logs them and does not
// repeat them.
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
