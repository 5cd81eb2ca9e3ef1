package milter

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// apply carries out the plans. Order matters for "never lose mail":
//  1. quarantined copies are stored durably;
//  2. recipients whose delivered copy must differ from the main one get
//     their own copy through the re-injection listener (Postfix queues it);
//  3. the mirror copies of mirrored domains are stored (mirror.go; a
//     failure there is logged and the mail flows);
//  4. only then is Postfix told to drop recipients and edit the header.
//
// A failure in 1 or 2 tempfails the whole message, so the sender retries;
// at worst (a crash after 2) a recipient gets a copy twice, never none.
func (f *Filter) apply(ctx context.Context, rt *Runtime, trx mailfilter.Trx, msg *scan.Message, raw *spooled,
	rep *scan.Report, plans []recipientPlan, log *slog.Logger) (mailfilter.Decision, error) {
	env := msg.Envelope
	hdr := trx.Headers()
	subject, err := hdr.Subject()
	if err != nil { // undecodable: keep the raw text
		subject = unfold(hdr.Value("Subject"))
	}
	subject = strings.TrimSpace(subject)
	facts := headerFacts{from: hdr.Value("From"), subject: subject, messageID: hdr.Value("Message-Id")}
	if allOverSize(plans) {
		log.Info("rejected: over every recipient's size limit", "from", env.Sender, "size", raw.size)
		recordHistory(rt, env, facts, raw.size, plans, "", nil, actionReject)
		return reply(smtpreply.OverSize), nil
	}
	trace := traceField(trx, time.Now())
	qid, err := f.quarantine(ctx, rt, trx, trace, env, hdr.Value("From"), subject, raw, rep.Findings, plans)
	if err != nil {
		log.Error("quarantine write failed, tempfail", "err", err)
		return tempFail, nil
	}
	groups := groupDelivered(plans)
	engines := rep.Ran                       // only the engines that scanned this message
	if len(groups) > 1 && ctx.Err() != nil { // nothing queued yet: a retry duplicates nothing
		log.Warn("decision deadline passed before re-injection, tempfail", "err", ctx.Err())
		return tempFail, nil
	}
	copies := map[string]string{} // recipient -> the re-injected copy's queue id
	for _, g := range groups[min(1, len(groups)):] {
		ed := editFor(g[0], engines, rt.Hostname)
		copyMsg, err := rewrite(withTrace(trace, raw), ed)
		var copyID string
		if err == nil {
			copyID, err = reinject.DeliverQueued(ctx, rt.Reinject, dsnEnvelope(trx, env.Sender, addresses(g)), copyMsg)
		}
		if err != nil {
			log.Error("re-injecting a differently treated copy failed, tempfail", "err", err, "to", addresses(g))
			return tempFail, nil
		}
		for _, p := range g {
			copies[p.Address] = copyID
		}
	}
	f.mirrorCopies(ctx, rt, env, hdr.Value("Message-Id"), trace, raw, groups, engines, log)
	for _, p := range plans {
		f.logDecision(log, rt, env, p, qid)
	}
	recordHistory(rt, env, facts, raw.size, plans, qid, copies, "")
	f.notify(ctx, rt, env, subject, qid, plans)
	held := f.outboundHeld(ctx, rt, env, subject, qid, plans, log)
	if len(groups) == 0 {
		if held {
			// Kept in the quarantine; the logged-in sender learns at once
			// that it was not sent (docs/submission.md).
			return reply(smtpreply.OutboundSpam), nil
		}
		return mailfilter.Discard, nil
	}
	keep := map[string]bool{}
	for _, p := range groups[0] {
		keep[p.Address] = true
	}
	for _, r := range env.Recipients {
		if !keep[r] {
			trx.DelRcptTo(r)
		}
	}
	applyToTrx(hdr, editFor(groups[0][0], engines, rt.Hostname))
	return mailfilter.Accept, nil
}

// actionReject is the history's action for a message refused whole.
const actionReject settings.Action = "reject"

// quarantine stores one copy for every recipient whose action is
// quarantine and returns its id ("" when none).
func (f *Filter) quarantine(ctx context.Context, rt *Runtime, trx mailfilter.Trx, trace reinject.Field, env scan.Envelope,
	headerFrom, subject string, raw *spooled, findings []scan.Finding, plans []recipientPlan) (string, error) {
	var rcpts []quarantine.Recipient
	for _, p := range plans {
		if p.Action == settings.ActionQuarantine {
			cat := p.Verdict.Category
			if cat == scan.Clean { // cannot happen: only findings lead to quarantine
				cat = scan.Content
			}
			reason := p.Verdict.Reason()
			if p.Held {
				reason = heldReason(env.AuthUser, reason)
			}
			rcpts = append(rcpts, quarantine.Recipient{Address: p.Address, Category: cat,
				Reason: reason, Score: p.Verdict.Score})
			dsn := dsnEnvelope(trx, env.Sender, []string{p.Address}).To[0]
			rcpts[len(rcpts)-1].Notify, rcpts[len(rcpts)-1].ORcpt = dsn.Notify, dsn.ORcpt
		}
	}
	if len(rcpts) == 0 {
		return "", nil
	}
	dsn := dsnEnvelope(trx, env.Sender, nil)
	return rt.Quarantine.Put(ctx, quarantine.Entry{Envelope: env, Subject: subject,
		HeaderFrom: strings.TrimSpace(unfold(headerFrom)), Raw: withTrace(trace, raw), Size: raw.size,
		Findings: findings, Recipients: rcpts, RET: dsn.RET, EnvID: dsn.EnvID})
}

// groupDelivered groups the recipients that get the message by treatment,
// the largest group first (ties: the untagged group, else first seen). The
// first group stays in Postfix's transaction; the others are re-injected.
func groupDelivered(plans []recipientPlan) [][]recipientPlan {
	index := map[string]int{}
	var groups [][]recipientPlan
	for _, p := range plans {
		if p.Action != settings.ActionPass && p.Action != settings.ActionTag {
			continue
		}
		k := p.treatment()
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], p)
	}
	best := 0
	for i, g := range groups {
		if len(g) > len(groups[best]) || (len(g) == len(groups[best]) && g[0].Tag == "" && groups[best][0].Tag != "") {
			best = i
		}
	}
	if best != 0 {
		groups[0], groups[best] = groups[best], groups[0]
	}
	return groups
}

func addresses(ps []recipientPlan) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Address
	}
	return out
}

func allOverSize(plans []recipientPlan) bool {
	for _, p := range plans {
		if !p.OverSize {
			return false
		}
	}
	return len(plans) > 0
}

// logDecision writes the one mail-log line per recipient.
func (f *Filter) logDecision(log *slog.Logger, rt *Runtime, env scan.Envelope, p recipientPlan, qid string) {
	attrs := []any{"from", env.Sender, "to", p.Address, "client", env.ClientAddr, "verdict", p.Verdict.Category,
		"action", p.Action, "score", p.Verdict.Score, "threshold", p.Verdict.Threshold}
	if rules := p.Verdict.RuleNames(); len(rules) > 0 {
		attrs = append(attrs, "rules", strings.Join(rules, ","))
	}
	if p.Action == settings.ActionQuarantine {
		attrs = append(attrs, "quarantine_id", qid)
	}
	if env.Outbound {
		attrs = append(attrs, "outbound", true)
	}
	if env.AuthUser != "" {
		attrs = append(attrs, "user", env.AuthUser)
	}
	if p.Held {
		attrs = append(attrs, "held", true)
	}
	if p.Decision.Outcome == policy.Refuse {
		// Refused at RCPT by the policy daemon's rules, yet here: Postfix
		// did not ask it (permit_mynetworks) or the settings changed since.
		attrs = append(attrs, "reason", p.Decision.Reason)
		if p.Decision.Detail != "" {
			attrs = append(attrs, "detail", p.Decision.Detail)
		}
	}
	log.Info("message", attrs...)
	if rt.Count != nil {
		rt.Count(p.Verdict.Category, p.Action)
	}
}
