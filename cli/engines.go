package cli

import (
	"context"
	"log/slog"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/clamd"
	"github.com/mailtower/mailtower/scan/rspamd"
	"github.com/mailtower/mailtower/scan/rules"
	"github.com/mailtower/mailtower/scan/spamd"
)

// engine wraps a scanner with its [scanners.*] limits and error policy.
func engine(s scan.Scanner, c *config.Scanner) scan.Engine {
	return scan.Engine{Scanner: s, Timeout: c.Timeout.D(), SkipOnError: c.OnError == "skip", MaxSize: int64(c.MaxSize),
		WhenUncertain: c.When == "uncertain"}
}

// buildEngines returns the engines for inbound mail and the subset that
// scans outbound mail from customers' relay networks (viruses only), wired
// explicitly from the configuration: an absent [scanners.X] section means
// engine X is not used; the built-in engines (bayes, heuristics) are on
// unless disabled.
func buildEngines(ctx context.Context, a *app, cfg *config.Config) (inbound, virus []scan.Engine, err error) {
	if c := cfg.Scanners.Clamd; c != nil {
		s, err := clamd.New(*c)
		if err != nil {
			return nil, nil, err
		}
		inbound = append(inbound, engine(s, c))
		virus = append(virus, engine(s, c))
	}
	if c := cfg.Scanners.Spamd; c != nil {
		s, err := spamd.New(*c)
		if err != nil {
			return nil, nil, err
		}
		inbound = append(inbound, engine(s, c))
	}
	if c := cfg.Scanners.Rspamd; c != nil {
		s, err := rspamd.New(*c)
		if err != nil {
			return nil, nil, err
		}
		inbound = append(inbound, engine(s, c))
	}
	// The content filter is built in and always on: file-type and content
	// rules come from the rules table, and malformed mail gets a content
	// verdict even where no rule exists. It is bounded by [limits] and by
	// the milter's timeout; it is not a virus engine, so outbound mail
	// skips it.
	inbound = append(inbound, scan.Engine{Scanner: rules.New(a.settings, a.settings.Generation, cfg.Limits)})
	builtin, err := builtinEngines(ctx, a, cfg, slog.Default())
	if err != nil {
		return nil, nil, err
	}
	inbound = append(inbound, builtin...)
	if err := setCombiner(cfg, slog.Default()); err != nil {
		return nil, nil, err
	}
	return inbound, virus, nil
}
