package milter

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// MirrorWriter keeps the encrypted replay copy of delivered mail
// (*mirror.Store).
type MirrorWriter interface {
	Put(ctx context.Context, e mirror.Entry) (string, error)
}

// mirrorBudget bounds the mirror writes of one message: they are done
// before the milter answers (durable when Postfix hears "accept"), but
// never hold the mail up for long.
const mirrorBudget = 10 * time.Second

// mirrorCopies stores, for every group of delivered recipients, the copy
// exactly as they get it (the trace field, the header edits of the group)
// once per domain that has a mirror, encrypted to that domain's keys. It
// runs after the quarantine and the re-injected copies are safe and
// before Postfix is told to deliver. A failure is logged and counted and
// the mail flows without its mirror copy: the mirror is a safety net, not
// a reason to delay or refuse mail.
func (f *Filter) mirrorCopies(ctx context.Context, rt *Runtime, env scan.Envelope, messageID string, trace reinject.Field,
	raw *spooled, groups [][]recipientPlan, engines []string, log *slog.Logger) {
	if rt.Mirror == nil || env.Outbound {
		return
	}
	mctx, cancel := context.WithTimeout(ctx, mirrorBudget)
	defer cancel()
	for _, g := range groups {
		byDomain := map[string][]string{}
		mirrors := map[string]*settings.Mirror{}
		for _, p := range g {
			d := p.Decision.Policy.Domain
			if d == nil || d.Mirror == nil {
				continue
			}
			byDomain[d.Name] = append(byDomain[d.Name], p.Address)
			mirrors[d.Name] = d.Mirror
		}
		domains := make([]string, 0, len(byDomain))
		for d := range byDomain {
			domains = append(domains, d)
		}
		sort.Strings(domains)
		for _, domain := range domains {
			id, err := f.mirrorOne(mctx, rt, domain, mirrors[domain], env.Sender, byDomain[domain], messageID,
				trace, raw, editFor(g[0], engines, rt.Hostname))
			if rt.Mirrored != nil {
				rt.Mirrored(err)
			}
			if err != nil {
				log.Error("mirror write failed; the message is delivered without its mirror copy",
					"err", err, "domain", domain, "to", byDomain[domain])
				continue
			}
			log.Info("mirrored", "mirror_id", id, "domain", domain, "to", byDomain[domain])
		}
	}
}

// mirrorOne stores one group's copy for one domain.
func (f *Filter) mirrorOne(ctx context.Context, rt *Runtime, domain string, m *settings.Mirror, sender string, rcpts []string,
	messageID string, trace reinject.Field, raw *spooled, ed headerEdit) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	keys, err := m.Recipients()
	if err != nil {
		return "", err
	}
	copyMsg, err := rewrite(withTrace(trace, raw), ed)
	if err != nil {
		return "", err
	}
	return rt.Mirror.Put(ctx, mirror.Entry{Domain: domain, Sender: sender, Recipients: rcpts, Raw: copyMsg,
		MessageID: messageID, Days: m.Days, Keys: keys})
}
