package milter

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// recipientPlan is what happens to one recipient's copy.
type recipientPlan struct {
	Address string
	Verdict scan.Verdict
	Action  settings.Action
	Policy  settings.Resolved
	// Tag is the subject prefix for Action tag, else empty.
	Tag string
}

// treatment identifies recipients who can share one delivered copy: same
// verdict header, same tag, same rule list.
func (p recipientPlan) treatment() string {
	return string(p.Verdict.Category) + "|" + p.Tag + "|" + strings.Join(p.Verdict.RuleNames(), ",")
}

// plan decides every recipient's verdict and action. sizeFinding, when
// set, is a finding for the recipients whose size limit the message
// exceeds.
func (f *Filter) plan(ctx context.Context, rt *Runtime, env scan.Envelope, rep *scan.Report, size int64) ([]recipientPlan, error) {
	plans := make([]recipientPlan, 0, len(env.Recipients))
	for _, rcpt := range env.Recipients {
		pol, err := rt.Resolver.Resolve(ctx, rcpt)
		if err != nil {
			return nil, fmt.Errorf("policy for %s: %w", rcpt, err)
		}
		findings := rep.Findings
		if size > pol.MaxSize {
			findings = append(findings[:len(findings):len(findings)], scan.Finding{
				Scanner: "size", Category: scan.Content, Rule: "MAX_SIZE",
				Reason: fmt.Sprintf("message size %d exceeds the limit %d for %s", size, pol.MaxSize, rcpt),
			})
		}
		allowed := senderAllowed(pol.Rules, env.Sender)
		v := scan.Decide(findings, rcpt, pol.SpamThreshold(), allowed)
		p := recipientPlan{Address: rcpt, Verdict: v, Policy: pol, Action: actionFor(v, pol.Policy)}
		if sizeExceeded(v) {
			// A message over a recipient's limit is never delivered to it,
			// tagged or not; it is kept where the admin can find it.
			p.Action = settings.ActionQuarantine
		}
		if p.Action == settings.ActionTag {
			p.Tag = tagFor(string(v.Category))
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func sizeExceeded(v scan.Verdict) bool {
	for _, f := range v.Findings {
		if f.Rule == "MAX_SIZE" && f.Scanner == "size" {
			return true
		}
	}
	return false
}

// actionFor maps a verdict to the policy's action for its category.
func actionFor(v scan.Verdict, p settings.Policy) settings.Action {
	switch v.Category {
	case scan.Virus:
		return p.VirusAction
	case scan.Content:
		return p.ContentAction
	case scan.Spam:
		return p.SpamAction
	}
	return settings.ActionPass
}

// senderAllowed reports whether an allow-sender rule in the recipient's
// scope matches the envelope sender, as the policy daemon matches it
// (address.MatchSender: "@domain" covers subdomains, "+ext" is ignored).
func senderAllowed(rules []settings.Rule, sender string) bool {
	for _, r := range rules {
		if r.Kind == settings.AllowSender && address.MatchSender(r.Value, sender) {
			return true
		}
	}
	return false
}
