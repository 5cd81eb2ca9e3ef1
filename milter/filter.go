// Package milter is mailtower's milter: for every message Postfix
// receives it runs the scanners, decides a verdict and an action per
// recipient from the recipient's policy, stores quarantined copies
// durably, and tells Postfix which recipients get the message and with
// which header changes.
//
// It is written against go-milter's mailfilter: one decision function
// sees the whole transaction at end of message.
package milter

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/internal/smtpreply"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Runtime is everything a message needs that a configuration reload may
// replace; the Filter swaps it atomically, so a message in flight keeps
// the Runtime it started with.
type Runtime struct {
	// Engines scan inbound mail; VirusEngines scan outbound mail from a
	// domain's relay networks, which is checked for viruses only.
	Engines      []scan.Engine
	VirusEngines []scan.Engine
	// OutboundEngines scan an authenticated user's outbound mail: the
	// virus engines and the spam engines, for the outbound spam verdict
	// (policy.Treatment.Held); nil means VirusEngines.
	OutboundEngines []scan.Engine
	// Policy is the per-recipient decision (package policy): resolution,
	// the outbound rule, allow-sender rules, the size rule.
	Policy     *policy.Core
	Quarantine *quarantine.Store
	Reinject   reinject.Sender
	// Notify sends virus notices; nil means none.
	Notify      Notifier
	SpoolDir    string
	SpoolMemory int64
	// Timeout is the deadline of the whole decision on one message
	// (scan, quarantine, re-injection; see decisionBudget).
	Timeout  time.Duration
	Hostname string
	// Observe receives scanner timings and errors (metrics); may be nil.
	Observe scan.Observer
	// Count receives one call per recipient decision (metrics); may be nil.
	Count func(verdict scan.Category, action settings.Action)
	// Mirror keeps the encrypted replay copy of the mail that domains with
	// a mirror receive (package mirror); nil means none. Mirrored is told
	// the result of every mirror write (metrics); may be nil.
	Mirror   MirrorWriter
	Mirrored func(err error)
	// History records every decided message (history.Writer); nil = none.
	History HistoryRecorder
	// Outbound is told about authenticated users' outbound mail: the
	// verdicts (metrics), the messages held as spam (the held-spam limit)
	// and the domain admin's alert; nil = nobody.
	Outbound OutboundWatcher
}

// Notifier tells people about a quarantined virus. It must not block the
// milter answer for long and must never write to the sender.
type Notifier interface {
	VirusFound(ctx context.Context, n VirusNotice)
}

// VirusNotice is a virus notice (policy.Notice); the name stays for the
// notifier, which queues them.
type VirusNotice = policy.Notice

// Filter is the milter's decision logic.
type Filter struct {
	rt  atomic.Pointer[Runtime]
	log *slog.Logger
}

// NewFilter returns a filter using rt until Reload.
func NewFilter(rt *Runtime, log *slog.Logger) *Filter {
	f := &Filter{log: log}
	f.rt.Store(rt)
	return f
}

// Reload replaces the runtime for messages that start after it.
func (f *Filter) Reload(rt *Runtime) { f.rt.Store(rt) }

// tempFail is the answer whenever mailtower cannot decide safely: the
// sending server keeps the message and retries.
var tempFail = reply(smtpreply.TempFail)

// reply turns a typed SMTP reply into a milter decision.
func reply(r smtpreply.Reply) mailfilter.Decision {
	return mailfilter.CustomErrorResponse(uint16(r.Code), r.String())
}

// Decide is the mailfilter decision function, called at end of message.
func (f *Filter) Decide(ctx context.Context, trx mailfilter.Trx) (mailfilter.Decision, error) {
	rt := f.rt.Load()
	scanEnd, end := decisionBudget(time.Now(), rt.Timeout)
	ctx, cancelDecision := context.WithDeadline(ctx, end)
	defer cancelDecision()
	env := envelopeOf(trx)
	log := f.log.With("queue_id", env.QueueID)
	body := trx.Body()
	if body == nil {
		log.Error("no message body from the MTA")
		return tempFail, nil
	}
	raw, err := spool(io.MultiReader(trx.Headers().Reader(), body), rt.SpoolMemory, rt.SpoolDir)
	if err != nil {
		log.Error("spool message", "err", err)
		return tempFail, nil
	}
	defer raw.Close()
	decisions, err := decide(ctx, rt.Policy, env, raw.size)
	if err != nil {
		log.Error("policy decision failed, tempfail", "err", err)
		return tempFail, nil
	}
	if b, ok := blockedForAll(decisions); ok {
		// Not scanned: the recipients' rules refuse it whatever it holds.
		for i, d := range decisions {
			log.Info("rejected: blocked by a rule of every recipient", "from", env.Sender, "to", env.Recipients[i],
				"client", env.ClientAddr, "action", "reject", "reason", d.Reason, "detail", d.Detail)
		}
		return reply(b.Reply), nil
	}
	env.Outbound = outbound(decisions)
	engines := rt.Engines
	if env.Outbound {
		engines = rt.VirusEngines
		if env.AuthUser != "" && rt.OutboundEngines != nil {
			engines = rt.OutboundEngines
		}
	}
	msg := scan.NewMessage(env, raw, raw.size)
	sctx, cancel := context.WithDeadline(ctx, scanEnd)
	defer cancel()
	rep, err := scan.Run(sctx, engines, msg, rt.Observe)
	if err != nil {
		log.Warn("scan failed, tempfail", "err", err, "from", env.Sender, "size", raw.size)
		return tempFail, nil
	}
	plans := plan(env, decisions, rep, raw.size)
	return f.apply(ctx, rt, trx, msg, raw, rep, plans, log)
}

// envelopeOf copies the transaction's envelope. Recipients stay exactly as
// Postfix gave them: DelRcptTo and re-injection must name them so (go-milter
// matches local parts case-sensitively); policy look-ups canonicalise
// (settings.NormalizeAddress, address.Canonical).
func envelopeOf(trx mailfilter.Trx) scan.Envelope {
	env := scan.Envelope{QueueID: trx.QueueId()}
	if c := trx.Connect(); c != nil {
		env.ClientAddr, env.ClientHost = c.Addr, c.Host
	}
	if h := trx.Helo(); h != nil {
		env.Helo = h.Name
	}
	if m := trx.MailFrom(); m != nil {
		env.Sender = m.Addr
		// {auth_authen}: set only when the client logged in (submission).
		env.AuthUser = m.AuthenticatedUser()
	}
	for _, r := range trx.RcptTos() {
		env.Recipients = append(env.Recipients, r.Addr)
	}
	return env
}
