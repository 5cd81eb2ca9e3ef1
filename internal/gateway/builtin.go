package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/heuristics"
)

// builtinTimeout bounds one built-in engine's scan of one message; they
// are CPU-bound and bounded by the walk limits, so this only guards
// against a bug.
const builtinTimeout = 60 * time.Second

// TokenizerLimits maps the [limits] section to the tokenizer's limits.
func TokenizerLimits(cfg *config.Config) bayes.Limits {
	lim := bayes.DefaultLimits
	lim.Walk = Limits(cfg.Limits).Walk()
	return lim
}

// OpenBayes opens the learning engine's token store in a's database, its
// tokenizer bounded by cfg's [limits]. Release and remember calls
// LearnHam on it:
//
//	st, err := OpenBayes(ctx, a, a.Config)
//	digest, outcome, err := st.LearnHam(ctx, storedMessage)
func OpenBayes(ctx context.Context, a *App, cfg *config.Config) (*bayes.Store, error) {
	if a == nil || a.DB == nil {
		return nil, errors.New("scanners.bayes: the built-in engine needs the database")
	}
	return bayes.Open(ctx, a.DB, bayes.NewTokenizer(TokenizerLimits(cfg)))
}

// builtinEngines builds the built-in engines cfg enables: bayes
// ([scanners.bayes]) and heuristics ([scanners.heuristics]), both on by
// default. a supplies the database the token store lives in.
func builtinEngines(ctx context.Context, a *App, cfg *config.Config, log *slog.Logger) ([]scan.Engine, error) {
	var engines []scan.Engine
	sc := cfg.Scanners
	if sc.Bayes.Enabled {
		st, err := OpenBayes(ctx, a, cfg)
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
		o := heuristics.Options{Walk: Limits(cfg.Limits).Walk(), Log: log}
		if sc.Heuristics.Auth {
			o.Auth, o.DNSTimeout = net.DefaultResolver, time.Duration(sc.Heuristics.DNSTimeout)
		}
		engines = append(engines, scan.Engine{Scanner: heuristics.New(o), Timeout: builtinTimeout})
	}
	return engines, nil
}

// ScanEngines is the engine list of `mailtower scan`: the inbound
// engines `serve` uses, from the same configuration.
func ScanEngines(ctx context.Context, a *App) ([]scan.Engine, error) {
	inbound, _, err := BuildEngines(ctx, a, a.Config)
	return inbound, err
}
