package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/mlog"
	"github.com/mailtower/mailtower/internal/sdnotify"
	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/notify"
)

// service is one part of the daemon (milter, policy daemon, housekeeping).
type service interface {
	// Reload applies a new configuration; listeners keep their address.
	Reload(ctx context.Context, a *app) error
	// Shutdown stops the service, waiting for work in flight until ctx ends.
	Shutdown(ctx context.Context) error
}

// serviceStarter starts one service on the opened app.
type serviceStarter func(ctx context.Context, a *app, log *slog.Logger) (service, error)

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the milter, the policy daemon and housekeeping in one process",
		Long: "Run every mailtower service in one process (the default systemd unit).\n" +
			"SIGHUP reloads the configuration; SIGTERM finishes the messages in flight and exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDaemon(cmd.Context(), g, "serve", daemonServices()...)
		},
	}
}

func newMilterCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "milter",
		Short: "Run only the milter (scanning at end of DATA)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDaemon(cmd.Context(), g, "milter", startMetricsService, startMilterService)
		},
	}
}

// daemonServices lists what `serve` runs.
func daemonServices() []serviceStarter {
	return []serviceStarter{startMetricsService, startMilterService, startPolicydService, startPurgeService, startWebService}
}

// runDaemon opens the app, starts the services, and handles signals until
// SIGTERM or SIGINT.
func runDaemon(ctx context.Context, g *globals, name string, starters ...serviceStarter) error {
	if ctx == nil {
		ctx = context.Background()
	}
	a, err := g.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.metrics, err = newMetrics(); err != nil {
		return err
	}
	log, flushLog := mlog.NewDaemon(os.Stderr, a.cfg.Log.Level, a.cfg.Log.Format)
	defer flushLog()
	slog.SetDefault(log)
	var services []service
	for _, start := range starters {
		s, err := start(ctx, a, log)
		if err != nil {
			shutdownAll(services, log)
			return err
		}
		services = append(services, s)
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	log.Info("mailtower started", "mode", name, "config", a.cfg.Path)
	sdnotify.Notify(sdnotify.Ready)
	for s := range sig {
		if s != syscall.SIGHUP {
			log.Info("shutting down", "signal", s.String())
			sdnotify.Notify(sdnotify.Stopping)
			shutdownAll(services, log)
			return nil
		}
		sdnotify.Notify(sdnotify.Reloading)
		reload(ctx, g, a, services, log)
		sdnotify.Notify(sdnotify.Ready)
	}
	return nil
}

// reload re-reads the configuration; a bad file keeps the running one.
func reload(ctx context.Context, g *globals, a *app, services []service, log *slog.Logger) {
	cfg, err := g.loadConfig()
	if err != nil {
		log.Error("reload: configuration rejected, keeping the running one", "err", err)
		return
	}
	if cfg.DataDir != a.cfg.DataDir || cfg.Milter.Listen != a.cfg.Milter.Listen || cfg.Policyd.Listen != a.cfg.Policyd.Listen {
		log.Warn("reload: data_dir and listen addresses change only on restart")
	}
	old := a.cfg
	a.cfg = cfg
	for _, s := range services {
		if err := s.Reload(ctx, a); err != nil {
			log.Error("reload failed, keeping the running configuration", "err", err)
			a.cfg = old
			return
		}
	}
	log.Info("configuration reloaded", "config", cfg.Path)
}

func shutdownAll(services []service, log *slog.Logger) {
	// Postfix waits up to milter_timeout (default 30s) per reply; finish
	// the messages in flight within a bound.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := len(services) - 1; i >= 0; i-- {
		if err := services[i].Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("shutdown", "err", err)
		}
	}
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

func startMilterService(ctx context.Context, a *app, log *slog.Logger) (service, error) {
	n, err := notify.New(ctx, a.db, reinjectClient(a.cfg), hostname(a.cfg), log.With("service", "notify"))
	if err != nil {
		return nil, err
	}
	rt, err := milterRuntime(ctx, a, a.cfg, log)
	if err != nil {
		return nil, err
	}
	n.SetOptions(noticeOptions(a))
	rt.Notify = n
	if removed, err := milter.PrepareSpool(rt.SpoolDir); err != nil {
		return nil, err
	} else if removed > 0 {
		log.Warn("removed spool files left by an earlier run", "dir", rt.SpoolDir, "files", removed)
	}
	f := milter.NewFilter(rt, log.With("service", "milter"))
	srv, err := startMilter(f, a.cfg, a.metrics)
	if err != nil {
		return nil, err
	}
	nctx, stop := context.WithCancel(context.Background())
	n.Start(nctx, time.Minute)
	log.Info("milter listening", "addr", a.cfg.Milter.Listen, "engines", fmt.Sprint(engineNamesOf(rt)))
	return &milterService{filter: f, server: srv, notifier: n, stop: stop, log: log}, nil
}

// noticeOptions are the virus notifier's rate limits ([notices]) and metrics.
func noticeOptions(a *app) notify.Options {
	return notify.Options{Limits: notify.Limits{PerAddress: a.cfg.Notices.PerAddressHour, Global: a.cfg.Notices.GlobalHour},
		Events: a.metrics}
}

func engineNamesOf(rt *milter.Runtime) []string {
	var out []string
	for _, e := range rt.Engines {
		out = append(out, e.Scanner.Name())
	}
	return out
}

func (m *milterService) Reload(ctx context.Context, a *app) error {
	rt, err := milterRuntime(ctx, a, a.cfg, m.log)
	if err != nil {
		return err
	}
	m.notifier.SetOptions(noticeOptions(a))
	rt.Notify = m.notifier
	m.filter.Reload(rt)
	return nil
}

func (m *milterService) Shutdown(ctx context.Context) error {
	err := m.server.Shutdown(ctx)
	m.stop()
	m.notifier.Wait()
	return err
}
