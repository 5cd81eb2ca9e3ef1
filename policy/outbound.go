package policy

import (
	"math"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// holdThreshold is the spam score at which an authenticated user's
// outbound copy is held, for an outbound spam level (1-5); level 0 (or
// out of range) holds nothing: +Inf.
func holdThreshold(level int) float64 {
	if level < 1 || level > 5 {
		return math.Inf(1)
	}
	return settings.SpamThresholds[level]
}

// treatOutbound treats an authenticated user's copy to a recipient
// outside the served domains. Viruses (and content findings) take the
// global policy's action as for any relayed mail; spam at or above the
// outbound threshold is held: quarantined, whatever the global spam
// action, since the gateway's reputation is at stake, not a recipient's
// preference. The sender's allow rules do not apply: the sender is the
// customer's own user. A score below the threshold passes untagged: the
// outside recipient's own filter judges it.
func treatOutbound(rcpt string, d Decision, findings []scan.Finding) Treatment {
	v := scan.Decide(findings, rcpt, d.HoldSpamAt, false)
	t := Treatment{Address: rcpt, Verdict: v, Policy: d.Policy, Action: settings.ActionPass}
	switch v.Category {
	case scan.Spam:
		t.Action, t.Held = settings.ActionQuarantine, true
	case scan.Virus, scan.Content:
		t.Action = ActionFor(v.Category, d.Policy.Policy)
	}
	return t
}

// AnyHeld reports whether a treatment holds an outbound copy as spam.
func AnyHeld(ts []Treatment) bool {
	for _, t := range ts {
		if t.Held {
			return true
		}
	}
	return false
}

// NoticeOutboundSpam is the Kind of a notice that tells a domain's admin
// that an authenticated user's outbound mail was held as spam.
const NoticeOutboundSpam = "outbound-spam"

// OutboundAlert is the alert to admin about the held outbound copies
// among ts (AnyHeld) of a message sent by the authenticated user env.AuthUser:
// the recipients held, the score, the quarantine id qid. ok is false when
// nothing was held or there is no admin to tell; the user sending is
// told by the SMTP reply, not by a notice.
func OutboundAlert(env Envelope, subject, qid, admin string, now time.Time, ts []Treatment) (n Notice, ok bool) {
	if admin == "" || env.AuthUser == "" {
		return Notice{}, false
	}
	n = Notice{Kind: NoticeOutboundSpam, User: env.AuthUser, QueueID: env.QueueID, QuarantineID: qid,
		Sender: env.Sender, Subject: subject, Date: now, To: []string{admin}}
	for _, t := range ts {
		if !t.Held {
			continue
		}
		n.Recipients = append(n.Recipients, t.Address)
		n.Score = max(n.Score, t.Verdict.Score)
	}
	if len(n.Recipients) == 0 {
		return Notice{}, false
	}
	n.Recipient = n.Recipients[0]
	return n, true
}
