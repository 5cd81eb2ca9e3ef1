package cli

import (
	"context"
	"fmt"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/scan"
)

// engine wraps a scanner with its [scanners.*] limits and error policy.
func engine(s scan.Scanner, c *config.Scanner) scan.Engine {
	return scan.Engine{Scanner: s, Timeout: c.Timeout.D(), SkipOnError: c.OnError == "skip", MaxSize: int64(c.MaxSize)}
}

// buildEngines returns the engines for inbound mail and the subset that
// scans outbound mail (viruses only), from the configuration.
func buildEngines(ctx context.Context, a *app, cfg *config.Config) (inbound, virus []scan.Engine, err error) {
	_ = ctx
	_ = a
	if cfg.Scanners.Clamd != nil || cfg.Scanners.Spamd != nil || cfg.Scanners.Rspamd != nil {
		return nil, nil, fmt.Errorf("external scanners are configured but this build has no adapters yet")
	}
	return inbound, virus, nil
}
