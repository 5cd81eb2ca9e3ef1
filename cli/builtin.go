package cli

import (
	"context"
	"errors"
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

// openBayes opens the learning engine's token store in a's database, its
// tokenizer bounded by cfg's [limits]. Release and remember calls
// LearnHam on it:
//
//	st, err := openBayes(ctx, a, a.cfg)
//	digest, outcome, err := st.LearnHam(ctx, storedMessage)
func openBayes(ctx context.Context, a *app, cfg *config.Config) (*bayes.Store, error) {
	if a == nil || a.db == nil {
		return nil, errors.New("scanners.bayes: the built-in engine needs the database")
	}
	return bayes.Open(ctx, a.db, bayes.NewTokenizer(tokenizerLimits(cfg)))
}

// builtinEngines builds the built-in engines cfg enables: bayes
// ([scanners.bayes]) and heuristics ([scanners.heuristics]), both on by
// default. a supplies the database the token store lives in.
func builtinEngines(ctx context.Context, a *app, cfg *config.Config, log *slog.Logger) ([]scan.Engine, error) {
	var engines []scan.Engine
	sc := cfg.Scanners
	if sc.Bayes.Enabled {
		st, err := openBayes(ctx, a, cfg)
		if err != nil {
			return nil, err
		}
		// Load the token table now, not on the first message.
		if _, err := st.Snapshot(ctx); err != nil {
			return nil, err
		}
		s := bayes.NewScanner(st, bayes.ScannerOptions{MinSpam: sc.Bayes.MinSpam, MinHam: sc.Bayes.MinHam, Log: log})
		engines = append(engines, scan.Engine{Scanner: s, Timeout: builtinTimeout})
	}
	if sc.Heuristics.Enabled {
		o := heuristics.Options{Walk: mimewalk.LimitsFrom(cfg.Limits), Log: log}
		if sc.Heuristics.Auth {
			o.Auth, o.DNSTimeout = net.DefaultResolver, time.Duration(sc.Heuristics.DNSTimeout)
		}
		engines = append(engines, scan.Engine{Scanner: heuristics.New(o), Timeout: builtinTimeout})
	}
	return engines, nil
}

// scanEngines is the engine list of `mailtower scan`: the inbound
// engines `serve` uses, from the same configuration.
func scanEngines(ctx context.Context, a *app) ([]scan.Engine, error) {
	inbound, _, err := buildEngines(ctx, a, a.cfg)
	return inbound, err
}
