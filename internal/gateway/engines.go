package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/avparts"
	"github.com/mailtower/mailtower/scan/clamd"
	"github.com/mailtower/mailtower/scan/icap"
	"github.com/mailtower/mailtower/scan/rspamd"
	"github.com/mailtower/mailtower/scan/rules"
	"github.com/mailtower/mailtower/scan/spamd"
)

// engine wraps a scanner with its [scanners.*] limits and error policy.
func engine(s scan.Scanner, c *config.Scanner) scan.Engine {
	return scan.Engine{Scanner: s, Timeout: c.Timeout.D(), SkipOnError: c.OnError == "skip", MaxSize: int64(c.MaxSize),
		WhenUncertain: c.When == "uncertain"}
}

// AntivirusEngines returns the configured antivirus engines (clamd,
// ICAP), each wrapped so that it scans the raw message and every part
// mailtower decoded (avparts). They scan inbound and outbound mail, and
// quarantined messages again before release.
func AntivirusEngines(cfg *config.Config) ([]scan.Engine, error) {
	var out []scan.Engine
	if c := cfg.Scanners.Clamd; c != nil {
		s, err := clamd.New(clamd.Options{Address: c.Address, Timeout: c.Timeout.D()})
		if err != nil {
			return nil, err
		}
		out = append(out, engine(avparts.New(s, Limits(cfg.Limits)), c))
	}
	if c := cfg.Scanners.ICAP; c != nil {
		s, err := icap.New(icap.Options{Address: c.Address, Timeout: c.Timeout.D()})
		if err != nil {
			return nil, err
		}
		out = append(out, engine(avparts.New(s, Limits(cfg.Limits)), c))
	}
	return out, nil
}

// Rescanner scans a quarantined message again with the antivirus engines
// before release (nil when none is configured). The message is read into
// memory: the CLI releases one message at a time.
func Rescanner(cfg *config.Config) (quarantine.Rescanner, error) {
	engines, err := AntivirusEngines(cfg)
	if err != nil || len(engines) == 0 {
		return nil, err
	}
	return func(ctx context.Context, raw io.Reader) (string, error) {
		b, err := io.ReadAll(raw)
		if err != nil {
			return "", fmt.Errorf("rescan: read message: %w", err)
		}
		rep, err := scan.Run(ctx, engines, scan.NewMessage(scan.Envelope{}, bytes.NewReader(b), int64(len(b))), nil)
		if err != nil {
			return "", fmt.Errorf("rescan: %w", err)
		}
		return quarantine.VirusNames(rep.Findings), nil
	}, nil
}

// BuildEngines returns the engines for inbound mail and the subset that
// scans outbound mail from customers' relay networks (viruses only), wired
// explicitly from the configuration: an absent [scanners.X] section means
// engine X is not used; the built-in engines (bayes, heuristics) are on
// unless disabled.
func BuildEngines(ctx context.Context, a *App, cfg *config.Config) (inbound, virus []scan.Engine, err error) {
	virus, err = AntivirusEngines(cfg)
	if err != nil {
		return nil, nil, err
	}
	inbound = append(inbound, virus...)
	if c := cfg.Scanners.Spamd; c != nil {
		s, err := spamd.New(spamd.Options{Address: c.Address, Timeout: c.Timeout.D(), User: c.User})
		if err != nil {
			return nil, nil, err
		}
		inbound = append(inbound, engine(s, c))
	}
	if c := cfg.Scanners.Rspamd; c != nil {
		s, err := rspamd.New(rspamd.Options{Address: c.Address, Timeout: c.Timeout.D()})
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
	// Its rules are reloaded when the settings generation changes, read
	// through the front-ends' cache (not one query per message).
	_, gen, err := a.Resolver()
	if err != nil {
		return nil, nil, err
	}
	inbound = append(inbound, scan.Engine{Scanner: rules.New(a.Settings, gen.Get, Limits(cfg.Limits))})
	builtin, err := builtinEngines(ctx, a, cfg, slog.Default())
	if err != nil {
		return nil, nil, err
	}
	inbound = append(inbound, builtin...)
	if err := SetCombiner(cfg, slog.Default()); err != nil {
		return nil, nil, err
	}
	return inbound, virus, nil
}

// Limits turns the [limits] section into the content filter's limits
// (also those of scan/avparts, and through Walk those of every MIME walk).
func Limits(l config.Limits) rules.Limits {
	return rules.Limits{MimeDepth: l.MimeDepth, MimeParts: l.MimeParts, ArchiveDepth: l.ArchiveDepth,
		Unpacked: int64(l.Unpacked), Decoded: int64(l.Decoded)}
}
