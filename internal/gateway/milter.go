package gateway

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
	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/notify"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// milterRuntime builds everything a message needs from one configuration.
// It is called at start and on every SIGHUP.
func milterRuntime(ctx context.Context, a *App, cfg *config.Config, log *slog.Logger) (*milter.Runtime, error) {
	res, gen, err := a.Resolver()
	if err != nil {
		return nil, err
	}
	pol, err := milterPolicy(a, res, gen)
	if err != nil {
		return nil, err
	}
	q, err := a.Quarantine(ctx)
	if err != nil {
		return nil, err
	}
	engines, virusEngines, err := BuildEngines(ctx, a, cfg)
	if err != nil {
		return nil, err
	}
	spoolDir := filepath.Join(cfg.DataDir, "spool")
	if err := store.MkdirOwned(cfg.DataDir, spoolDir, 0o750); err != nil {
		return nil, fmt.Errorf("spool dir: %w", err)
	}
	ms, err := mirror.Open(ctx, a.DB, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	host := Hostname(cfg)
	var hist milter.HistoryRecorder
	if w := a.historyWriter(ctx, log); w != nil {
		hist = w
	}
	return &milter.Runtime{
		Engines: engines, VirusEngines: virusEngines, OutboundEngines: OutboundEngines(cfg, engines), Quarantine: q, Reinject: ReinjectClient(cfg),
		SpoolDir: spoolDir, SpoolMemory: int64(cfg.Milter.SpoolMemory), Timeout: cfg.Milter.Timeout.D(),
		Hostname: host,
		// The same per-recipient decision the policy daemon answers by;
		// its outbound rule makes a customer's mail to recipients outside
		// every served domain scanned for viruses only.
		Policy:  pol,
		Observe: a.Metrics.ScannerRun,
		Count:   func(v scan.Category, act settings.Action) { a.Metrics.Message(string(v), string(act)) },
		// The encrypted replay copies of mirrored domains (docs/mirror.md).
		Mirror: ms, Mirrored: a.Metrics.Mirrored,
		History: hist,
	}, nil
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

// milterService is the milter inside the daemon, with the virus-notice
// sender that works off its queue.
type milterService struct {
	filter   *milter.Filter
	server   *milter.Server
	notifier *notify.Notifier
	stop     context.CancelFunc
	log      *slog.Logger
}

// StartMilter starts the milter on [milter] listen and the virus-notice
// sender that works off its queue.
func StartMilter(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	n, err := notify.New(ctx, a.DB, ReinjectClient(a.Config), Hostname(a.Config), log.With("service", "notify"))
	if err != nil {
		return nil, err
	}
	rt, err := milterRuntime(ctx, a, a.Config, log)
	if err != nil {
		return nil, err
	}
	n.SetOptions(noticeOptions(a))
	rt.Notify, rt.Outbound = n, outboundWatcher{a: a, n: n}
	if removed, err := milter.PrepareSpool(rt.SpoolDir); err != nil {
		return nil, err
	} else if removed > 0 {
		log.Warn("removed spool files left by an earlier run", "dir", rt.SpoolDir, "files", removed)
	}
	f := milter.NewFilter(rt, log.With("service", "milter"))
	srv, err := startMilter(f, a.Config, a.Metrics)
	if err != nil {
		return nil, err
	}
	nctx, stop := context.WithCancel(context.Background())
	n.Start(nctx, time.Minute)
	log.Info("milter listening", "addr", a.Config.Milter.Listen, "engines", fmt.Sprint(engineNamesOf(rt)))
	return &milterService{filter: f, server: srv, notifier: n, stop: stop, log: log}, nil
}

// noticeOptions are the virus notifier's rate limits ([notices]) and metrics.
func noticeOptions(a *App) notify.Options {
	return notify.Options{Limits: notify.Limits{PerAddress: a.Config.Notices.PerAddressHour, Global: a.Config.Notices.GlobalHour},
		Events: a.Metrics}
}

func engineNamesOf(rt *milter.Runtime) []string {
	var out []string
	for _, e := range rt.Engines {
		out = append(out, e.Scanner.Name())
	}
	return out
}

func (m *milterService) Reload(ctx context.Context, a *App) error {
	rt, err := milterRuntime(ctx, a, a.Config, m.log)
	if err != nil {
		return err
	}
	m.notifier.SetOptions(noticeOptions(a))
	rt.Notify, rt.Outbound = m.notifier, outboundWatcher{a: a, n: m.notifier}
	m.filter.Reload(rt)
	return nil
}

func (m *milterService) Shutdown(ctx context.Context) error {
	err := m.server.Shutdown(ctx)
	m.stop()
	m.notifier.Wait()
	return err
}

// milterPolicy is the milter's policy core, with the caches of the
// policy daemon's: relay networks and aliases are read again only when
// the settings generation (read through the cache) changes, not with
// queries for every recipient of every message.
func milterPolicy(a *App, res *settings.Resolver, gen *policyd.Generation) (*policy.Core, error) {
	aliases, err := policyd.NewAliasCache(a.Settings.Aliases(), gen, resolverSize)
	if err != nil {
		return nil, err
	}
	return policy.New(policy.Config{Resolver: res, Relay: settings.NewRelayIndex(a.Settings, gen.Get), Aliases: aliases,
		OutboundSpamLevel: a.Config.SASL.OutboundSpamLevel}), nil
}
