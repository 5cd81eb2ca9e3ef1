package milter

import (
	"context"
	"time"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// notify hands virus notices to the notifier for every recipient whose
// copy was withheld because of a virus. The notifier queues them; its
// failures never affect the message.
func (f *Filter) notify(ctx context.Context, rt *Runtime, env scan.Envelope, subject, qid string, plans []recipientPlan) {
	if rt.Notify == nil {
		return
	}
	for _, p := range plans {
		if p.Verdict.Category != scan.Virus || (p.Action != settings.ActionQuarantine && p.Action != settings.ActionDelete) {
			continue
		}
		var to []string
		switch p.Policy.NotifyVirus {
		case settings.NotifyRecipient:
			to = []string{p.Address}
		case settings.NotifyAdmin:
			to = []string{p.Policy.Admin}
		case settings.NotifyBoth:
			to = []string{p.Address, p.Policy.Admin}
		}
		var dest []string
		for _, t := range to {
			// Never the sender, even when the sender is also a recipient's admin.
			if t != "" && !address.Equal(t, env.Sender) {
				dest = append(dest, t)
			}
		}
		if len(dest) == 0 {
			continue
		}
		virus := p.Verdict.Reason()
		for _, fd := range p.Verdict.Findings {
			if fd.Category == scan.Virus {
				virus = fd.Rule
				break
			}
		}
		n := VirusNotice{QueueID: env.QueueID, Sender: env.Sender, Subject: subject, Date: time.Now(),
			Virus: virus, Recipient: p.Address, To: dest}
		if p.Action == settings.ActionQuarantine {
			n.QuarantineID = qid
		}
		rt.Notify.VirusFound(ctx, n)
	}
}
