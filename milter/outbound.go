package milter

import (
	"context"
	"log/slog"
	"time"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// OutboundWatcher is told about an authenticated user's outbound mail
// (the composition root wires metrics, the held-spam limit and the
// notifier). Its methods must not block for long: mail is waiting.
type OutboundWatcher interface {
	// Verdict counts one outbound recipient's copy by verdict and action.
	Verdict(verdict scan.Category, action settings.Action)
	// Held records that a message of user (queue id queueID) was held as
	// spam, so that the policy daemon defers the user past the limit.
	Held(user, queueID string)
	// Alert queues the domain admin's alert (policy.OutboundAlert);
	// the watcher limits alerts per user.
	Alert(ctx context.Context, n policy.Notice)
}

// heldReason marks the quarantine reason of a held outbound copy, so that
// an admin sees it is a customer's own mail that was not sent.
func heldReason(user, reason string) string {
	return "outbound spam held, sent by " + user + ": " + reason
}

// outboundHeld tells rt.Outbound about the authenticated user's outbound
// copies of a message: every verdict; and when copies were held, the held
// message and the alert for the admin of the user's domain (resolved
// from the user's address: the domain's or user's admin setting, else
// [defaults] admin). It reports whether a copy was held.
func (f *Filter) outboundHeld(ctx context.Context, rt *Runtime, env scan.Envelope, subject, qid string,
	plans []recipientPlan, log *slog.Logger) bool {
	if env.AuthUser == "" {
		return false
	}
	ts := make([]policy.Treatment, 0, len(plans))
	for _, p := range plans {
		if p.Decision.HoldSpamAt == 0 { // not an outbound recipient
			continue
		}
		ts = append(ts, p.Treatment)
		if rt.Outbound != nil {
			rt.Outbound.Verdict(p.Verdict.Category, p.Action)
		}
	}
	if !policy.AnyHeld(ts) {
		return false
	}
	var admin string
	if res, err := rt.Policy.Resolver().Resolve(ctx, env.AuthUser); err != nil {
		log.Error("outbound spam alert: resolve the user's admin", "err", err, "user", env.AuthUser)
	} else {
		admin = res.Admin
	}
	var score float64
	for _, t := range ts {
		score = max(score, t.Verdict.Score)
	}
	log.Warn("outbound spam held", "user", env.AuthUser, "from", env.Sender, "client", env.ClientAddr,
		"score", score, "quarantine_id", qid, "admin", admin)
	if rt.Outbound == nil {
		return true
	}
	rt.Outbound.Held(env.AuthUser, env.QueueID)
	if n, ok := policy.OutboundAlert(env, subject, qid, admin, time.Now(), ts); ok {
		rt.Outbound.Alert(ctx, n)
	} else if admin == "" {
		log.Warn("outbound spam held: no admin address to alert (set the domain's --admin or [defaults] admin)",
			"user", env.AuthUser)
	}
	return true
}
