package cli

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/heuristics"
)

// builtinTimeout bounds one built-in engine's scan of one message; they
// are CPU-bound and bounded by the walk limits, so this only guards
// against a bug.
const builtinTimeout = 60 * time.Second

// tokenizerLimits maps the [limits] section to the tokenizer's limits.
func tokenizerLimits(cfg *config.Config) bayes.Limits {
	lim := bayes.DefaultLimits
	lim.Walk = mimewalk.LimitsFrom(cfg.Limits)
	return lim
}

// builtinEngines builds the built-in engines the configuration enables:
// bayes ([scanners.bayes]) and heuristics ([scanners.heuristics]), both on
// by default.
func builtinEngines(ctx context.Context, a *app, log *slog.Logger) ([]scan.Engine, error) {
	var engines []scan.Engine
	sc := a.cfg.Scanners
	if sc.Bayes.Enabled {
		st, err := bayes.Open(ctx, a.db, bayes.NewTokenizer(tokenizerLimits(a.cfg)))
		if err != nil {
			return nil, err
		}
		s := bayes.NewScanner(st, bayes.ScannerOptions{MinSpam: sc.Bayes.MinSpam, MinHam: sc.Bayes.MinHam, Log: log})
		engines = append(engines, scan.Engine{Scanner: s, Timeout: builtinTimeout})
	}
	if sc.Heuristics.Enabled {
		o := heuristics.Options{Walk: mimewalk.LimitsFrom(a.cfg.Limits), Log: log}
		if sc.Heuristics.Auth {
			o.Auth, o.DNSTimeout = net.DefaultResolver, time.Duration(sc.Heuristics.DNSTimeout)
		}
		engines = append(engines, scan.Engine{Scanner: heuristics.New(o), Timeout: builtinTimeout})
	}
	return engines, nil
}

// scanEngines is the engine list of `mailtower scan`.
func scanEngines(ctx context.Context, a *app) ([]scan.Engine, func(), error) {
	engines, err := builtinEngines(ctx, a, slog.Default())
	return engines, func() {}, err
}
