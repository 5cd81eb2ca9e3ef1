package gateway

import (
	"context"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/notify"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/rules"
	"github.com/mailtower/mailtower/settings"
)

// OutboundEngines are the engines for authenticated users' outbound
// mail: the inbound engines without the content filter (outbound mail is
// not content-filtered, as from relay networks), so the virus and spam
// engines give the outbound spam verdict. Nil when [sasl]
// outbound_spam_level is 0: then the virus engines alone scan it.
func OutboundEngines(cfg *config.Config, inbound []scan.Engine) []scan.Engine {
	if cfg.SASL.OutboundSpamLevel == 0 {
		return nil
	}
	out := make([]scan.Engine, 0, len(inbound))
	for _, e := range inbound {
		if e.Scanner.Name() != rules.Name {
			out = append(out, e)
		}
	}
	return out
}

// outboundWatcher wires the milter's outbound events: verdict metrics,
// the held-spam count the policy daemon defers by (App.HeldSpam), and the
// admin's alert through the notice queue.
type outboundWatcher struct {
	a *App
	n *notify.Notifier
}

var _ milter.OutboundWatcher = outboundWatcher{}

func (w outboundWatcher) Verdict(v scan.Category, act settings.Action) {
	w.a.Metrics.OutboundVerdict(string(v), string(act))
}

func (w outboundWatcher) Held(user, queueID string) { w.a.HeldSpam().Allow(user, queueID) }

func (w outboundWatcher) Alert(ctx context.Context, n policy.Notice) { w.n.OutboundSpamHeld(ctx, n) }
