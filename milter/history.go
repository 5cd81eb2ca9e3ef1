package milter

import (
	"strings"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// HistoryRecorder takes a message's history row (history.Writer). It
// must not block: history is not mail.
type HistoryRecorder interface {
	Record(m history.Message)
}

// headerFacts are the header values the history keeps.
type headerFacts struct {
	from, subject, messageID string
}

// recordHistory hands the message's fate to rt.History: every
// recipient's verdict and action, and the queue id its copy travels in
// (the message's own, a re-injected copy's from copies, none for a
// quarantined or deleted copy). action overrides the plans' actions
// ("reject" when the whole message was refused).
func recordHistory(rt *Runtime, env scan.Envelope, h headerFacts, size int64, plans []recipientPlan, qid string,
	copies map[string]string, action settings.Action) {
	if rt.History == nil {
		return
	}
	m := history.Message{Time: time.Now(), Stage: history.StageData, QueueID: env.QueueID, ClientAddr: env.ClientAddr,
		ClientName: env.ClientHost, Helo: env.Helo, Sender: env.Sender, HeaderFrom: strings.TrimSpace(unfold(h.from)),
		Subject: h.subject, MessageID: strings.TrimSpace(unfold(h.messageID)), Size: size, Outbound: env.Outbound}
	seen := map[string]bool{}
	for _, p := range plans {
		m.Score = max(m.Score, p.Verdict.Score)
		// The verdicts' findings carry the points the combiner gave
		// spam evidence, so that what-if can replay them as a sum.
		for _, f := range p.Verdict.Findings {
			k := f.Scanner + "\x00" + f.Rule + "\x00" + strings.Join(f.Recipients, ",")
			if !seen[k] {
				seen[k] = true
				m.Findings = append(m.Findings, f)
			}
		}
		r := history.Recipient{Address: p.Address, Verdict: string(p.Verdict.Category), Action: string(p.Action),
			Reason: p.Verdict.Reason(), Score: p.Verdict.Score, Threshold: p.Verdict.Threshold,
			SenderAllowed: p.Decision.SenderAllowed}
		if p.Decision.Outcome == policy.Refuse && r.Reason == "" {
			r.Reason = p.Decision.Reason
		}
		switch {
		case action != "":
			r.Action = string(action)
		case p.Action == settings.ActionQuarantine:
			r.QuarantineID = qid
		case p.Action == settings.ActionPass || p.Action == settings.ActionTag:
			r.DeliveryQueueID = env.QueueID
			if c, ok := copies[p.Address]; ok {
				r.DeliveryQueueID = c
			}
		}
		m.Recipients = append(m.Recipients, r)
	}
	rt.History.Record(m)
}
