package policy

import (
	"time"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Notice is a virus notice: what a notifier needs to tell a recipient or
// an admin that a copy was withheld; never the infected content. With
// Kind NoticeOutboundSpam it is an admin's alert about an authenticated
// user's outbound mail held as spam (OutboundAlert).
type Notice struct {
	// Kind is "" for a virus notice, NoticeOutboundSpam for an alert.
	Kind string
	// User is the login that sent held outbound mail; Score its spam score.
	User         string
	Score        float64
	QueueID      string
	QuarantineID string
	Sender       string // as claimed: never written to
	Subject      string
	Date         time.Time
	Virus        string
	Recipient    string   // the first recipient (notices queued by older versions have only this)
	Recipients   []string // every withheld recipient this notice is about
	To           []string // whom to tell (recipient and/or admin)
}

// Notices are the virus notices for the recipients whose copy was
// withheld because of a virus: one notice per notified address per
// message, so an admin of forty recipients gets one notice listing them,
// in first-seen order. qid is the quarantine id of the message ("" when
// no copy was quarantined). The sender is never notified.
func Notices(env Envelope, subject, qid string, now time.Time, ts []Treatment) []Notice {
	var order []string // notified addresses in first-seen order
	byTo := map[string]*Notice{}
	for _, t := range ts {
		if t.Verdict.Category != scan.Virus || (t.Action != settings.ActionQuarantine && t.Action != settings.ActionDelete) {
			continue
		}
		for _, to := range noticeAddressees(t) {
			// Never the sender, even when the sender is also a recipient's admin.
			if to == "" || address.Equal(to, env.Sender) {
				continue
			}
			n := byTo[to]
			if n == nil {
				n = &Notice{QueueID: env.QueueID, Sender: env.Sender, Subject: subject, Date: now,
					Virus: virusName(t.Verdict), Recipient: t.Address, To: []string{to}}
				byTo[to] = n
				order = append(order, to)
			}
			if last := len(n.Recipients) - 1; last < 0 || n.Recipients[last] != t.Address {
				n.Recipients = append(n.Recipients, t.Address)
			}
			if t.Action == settings.ActionQuarantine {
				n.QuarantineID = qid
			}
		}
	}
	out := make([]Notice, 0, len(order))
	for _, to := range order {
		out = append(out, *byTo[to])
	}
	return out
}

// noticeAddressees is whom the policy says to tell about t's virus. The
// recipient is told only when it is a real mailbox: on a catch-all domain
// any invented local part is accepted, so an address that is not a known
// user gets no notice of its own; its admin is told instead (once per
// message, see Notices), and one message to a thousand invented addresses
// cannot send a thousand notices.
func noticeAddressees(t Treatment) []string {
	rcpt := t.Address
	if d := t.Policy.Domain; d != nil && d.CatchAll && t.Policy.User == nil {
		rcpt = t.Policy.Admin
	}
	switch t.Policy.NotifyVirus {
	case settings.NotifyRecipient:
		return []string{rcpt}
	case settings.NotifyAdmin:
		return []string{t.Policy.Admin}
	case settings.NotifyBoth:
		return []string{rcpt, t.Policy.Admin}
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
