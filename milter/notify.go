package milter

import (
	"context"
	"time"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// notify hands virus notices to the notifier for the recipients whose
// copy was withheld because of a virus: one notice per notified address
// per message, so an admin of forty recipients gets one notice listing
// them. The notifier queues them; its failures never affect the message.
func (f *Filter) notify(ctx context.Context, rt *Runtime, env scan.Envelope, subject, qid string, plans []recipientPlan) {
	if rt.Notify == nil {
		return
	}
	var order []string // notified addresses in first-seen order
	byTo := map[string]*VirusNotice{}
	for _, p := range plans {
		if p.Verdict.Category != scan.Virus || (p.Action != settings.ActionQuarantine && p.Action != settings.ActionDelete) {
			continue
		}
		for _, to := range noticeAddressees(p) {
			// Never the sender, even when the sender is also a recipient's admin.
			if to == "" || address.Equal(to, env.Sender) {
				continue
			}
			n := byTo[to]
			if n == nil {
				n = &VirusNotice{QueueID: env.QueueID, Sender: env.Sender, Subject: subject, Date: time.Now(),
					Virus: virusName(p.Verdict), Recipient: p.Address, To: []string{to}}
				byTo[to] = n
				order = append(order, to)
			}
			if last := len(n.Recipients) - 1; last < 0 || n.Recipients[last] != p.Address {
				n.Recipients = append(n.Recipients, p.Address)
			}
			if p.Action == settings.ActionQuarantine {
				n.QuarantineID = qid
			}
		}
	}
	for _, to := range order {
		rt.Notify.VirusFound(ctx, *byTo[to])
	}
}

// noticeAddressees is whom the policy says to tell about p's virus. The
// recipient is told only when it is a real mailbox: on a catch-all domain
// any invented local part is accepted, so an address that is not a known
// user gets no notice of its own; its admin is told instead (once per
// message, see notify), and one message to a thousand invented addresses
// cannot send a thousand notices.
func noticeAddressees(p recipientPlan) []string {
	rcpt := p.Address
	if d := p.Policy.Domain; d != nil && d.CatchAll && p.Policy.User == nil {
		rcpt = p.Policy.Admin
	}
	switch p.Policy.NotifyVirus {
	case settings.NotifyRecipient:
		return []string{rcpt}
	case settings.NotifyAdmin:
		return []string{p.Policy.Admin}
	case settings.NotifyBoth:
		return []string{rcpt, p.Policy.Admin}
	}
	return nil
}

// virusName is the rule of the first virus finding, else the verdict's reason.
func virusName(v scan.Verdict) string {
	for _, fd := range v.Findings {
		if fd.Category == scan.Virus {
			return fd.Rule
		}
	}
	return v.Reason()
}
