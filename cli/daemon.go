package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// retention turns the [defaults] retention days into a quarantine.Retention.
func retention(d config.Defaults) quarantine.Retention {
	day := 24 * time.Hour
	return quarantine.Retention{Virus: time.Duration(d.VirusDays) * day,
		Spam: time.Duration(d.SpamDays) * day, Content: time.Duration(d.ContentDays) * day}
}

// hostname is the configured gateway name or the system host name.
func hostname(cfg *config.Config) string {
	if cfg.Hostname != "" {
		return cfg.Hostname
	}
	h, _ := os.Hostname()
	return h
}

// milterRuntime builds everything a message needs from one configuration.
// It is called at start and on every SIGHUP.
func milterRuntime(ctx context.Context, a *app, cfg *config.Config, log *slog.Logger) (*milter.Runtime, error) {
	res, err := settings.NewResolver(a.settings, a.settings, basePolicy(cfg.Defaults), 10000)
	if err != nil {
		return nil, err
	}
	q, err := quarantine.Open(ctx, a.db, cfg.DataDir, retention(cfg.Defaults))
	if err != nil {
		return nil, err
	}
	engines, virusEngines, err := buildEngines(ctx, a, cfg)
	if err != nil {
		return nil, err
	}
	spoolDir := filepath.Join(cfg.DataDir, "spool")
	if err := store.MkdirOwned(cfg.DataDir, spoolDir, 0o750); err != nil {
		return nil, fmt.Errorf("spool dir: %w", err)
	}
	aliases, err := policyd.NewAliasStore(ctx, a.db)
	if err != nil {
		return nil, err
	}
	host := hostname(cfg)
	return &milter.Runtime{
		Engines: engines, VirusEngines: virusEngines, Quarantine: q, Reinject: reinjectClient(cfg),
		SpoolDir: spoolDir, SpoolMemory: int64(cfg.Milter.SpoolMemory), Timeout: cfg.Milter.Timeout.D(),
		Hostname: host,
		// The same per-recipient decision the policy daemon answers by;
		// its outbound rule makes a customer's mail to recipients outside
		// every served domain scanned for viruses only.
		Policy:  policy.New(policy.Config{Resolver: res, Relay: settings.NewRelayIndex(a.settings, nil), Aliases: aliases}),
		Observe: a.metrics.ScannerRun,
		Count:   func(v scan.Category, act settings.Action) { a.metrics.Message(string(v), string(act)) },
	}, nil
}

// reinjectClient talks to Postfix's listener without milter.
func reinjectClient(cfg *config.Config) *reinject.Client {
	return &reinject.Client{Addr: cfg.Reinject.SMTP, Hostname: hostname(cfg)}
}

// startMilter listens on [milter] listen.
func startMilter(f *milter.Filter, cfg *config.Config, m *metrics.Metrics) (*milter.Server, error) {
	network, address, err := config.ParseMilterListen(cfg.Milter.Listen)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if err := os.MkdirAll(filepath.Dir(address), 0o755); err != nil {
			return nil, fmt.Errorf("milter socket dir: %w", err)
		}
	}
	return milter.Listen(f, milter.ServerOptions{
		Network: network, Address: address,
		MaxMemory: int(cfg.Milter.SpoolMemory),
		// Rejecting above 1 GiB protects the host; Postfix's
		// message_size_limit and the per-recipient limits apply long before.
		MaxBody:    1 << 30,
		MaxHeaders: 10000,
		Panicked:   m.Panic,
		// The bound on concurrent scans sets peak memory (docs/security.md).
		MaxScans: cfg.Milter.MaxScans, MaxScanWait: cfg.Milter.MaxScanWait.D(),
		Refused: m.ScanRefused, Waiting: m.ScanWaiting,
	})
}
