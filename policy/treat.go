package policy

import (
	"fmt"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Treatment is what happens to one recipient's copy at end of DATA.
type Treatment struct {
	Address string
	Verdict scan.Verdict
	Action  settings.Action
	Policy  settings.Resolved
	// OverSize: the message exceeds the recipient's size limit; its copy
	// is kept in the quarantine, never delivered.
	OverSize bool
	// Held: an authenticated user's outbound copy judged spam at the
	// outbound level (Decision.HoldSpamAt); it is kept in the quarantine,
	// never relayed, and the sender's domain admin is alerted.
	Held bool
}

// The finding the size rule adds, so that the quarantine and the log
// say why a copy was withheld.
const (
	sizeScanner = "size"
	sizeRule    = "MAX_SIZE"
)

// Treat maps the scan findings of a message of size bytes to the action
// for recipient rcpt, under the policy and allow-sender result of the
// recipient's Decision: the verdict (scan.Decide; an allowed sender skips
// the spam verdict), the policy's action for the verdict's category, and
// the size rule, which quarantines whatever the verdict.
func Treat(rcpt string, d Decision, findings []scan.Finding, size int64) Treatment {
	if d.HoldSpamAt > 0 {
		return treatOutbound(rcpt, d, findings)
	}
	pol := d.Policy
	over := OverSize(size, pol.MaxSize)
	if over {
		findings = append(findings[:len(findings):len(findings)], scan.Finding{
			Scanner: sizeScanner, Category: scan.Content, Rule: sizeRule,
			Reason: fmt.Sprintf("message size %d exceeds the limit %d for %s", size, pol.MaxSize, rcpt),
		})
	}
	v := scan.Decide(findings, rcpt, pol.SpamThreshold(), d.SenderAllowed)
	t := Treatment{Address: rcpt, Verdict: v, Policy: pol, Action: ActionFor(v.Category, pol.Policy), OverSize: over}
	if over {
		// A message over a recipient's limit is never delivered to it,
		// tagged or not; it is kept where the admin can find it.
		t.Action = settings.ActionQuarantine
	}
	return t
}

// ActionFor is the policy's action for a verdict category.
func ActionFor(c scan.Category, p settings.Policy) settings.Action {
	switch c {
	case scan.Virus:
		return p.VirusAction
	case scan.Content:
		return p.ContentAction
	case scan.Spam:
		return p.SpamAction
	}
	return settings.ActionPass
}
