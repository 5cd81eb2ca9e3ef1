package gateway

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/mlog"
	"github.com/mailtower/mailtower/internal/sdnotify"
)

// Service is one daemon inside the process (milter, policy daemon,
// purge, metrics).
type Service interface {
	// Reload applies a new configuration (a.Config); listeners keep
	// their address.
	Reload(ctx context.Context, a *App) error
	// Shutdown stops the service, waiting for work in flight until ctx ends.
	Shutdown(ctx context.Context) error
}

// Starter starts one service on the opened app. A new daemon is one more
// Starter (its own file here, reading its own configuration section),
// added to Serve's list and, when it can run alone, to a command in cli.
type Starter func(ctx context.Context, a *App, log *slog.Logger) (Service, error)

// Serve lists what `mailtower serve` runs, in start order (shutdown runs
// in reverse). The portal (StartWeb) does nothing unless [web] listen is
// set.
func Serve() []Starter {
	return []Starter{StartMetrics, StartHistory, StartMilter, StartPolicyd, StartSASL, StartPurge, StartWeb}
}

// Run loads the configuration with load, opens the app (waiting for a
// PostgreSQL server that is not up yet: openWaiting), starts the
// services and handles signals until SIGTERM or SIGINT: SIGHUP loads the
// configuration again and reloads every service (a bad file keeps the
// running one). name is the mode logged at start.
func Run(ctx context.Context, load func() (*config.Config, error), name string, starters ...Starter) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	log, flushLog := mlog.NewDaemon(os.Stderr, cfg.Log.Level, cfg.Log.Format)
	defer flushLog()
	slog.SetDefault(log)
	a, err := openWaiting(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Metrics, err = NewMetrics(); err != nil {
		return err
	}
	var services []Service
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
	log.Info("mailtower started", "mode", name, "config", a.Config.Path)
	sdnotify.Notify(sdnotify.Ready)
	for s := range sig {
		if s != syscall.SIGHUP {
			log.Info("shutting down", "signal", s.String())
			sdnotify.Notify(sdnotify.Stopping)
			shutdownAll(services, log)
			return nil
		}
		sdnotify.Notify(sdnotify.Reloading)
		reload(ctx, load, a, services, log)
		sdnotify.Notify(sdnotify.Ready)
	}
	return nil
}

// reload re-reads the configuration; a bad file keeps the running one.
func reload(ctx context.Context, load func() (*config.Config, error), a *App, services []Service, log *slog.Logger) {
	cfg, err := load()
	if err != nil {
		log.Error("reload: configuration rejected, keeping the running one", "err", err)
		return
	}
	if cfg.DataDir != a.Config.DataDir || cfg.Milter.Listen != a.Config.Milter.Listen || cfg.Policyd.Listen != a.Config.Policyd.Listen {
		log.Warn("reload: data_dir and listen addresses change only on restart")
	}
	old := a.Config
	a.setConfig(cfg)
	for _, s := range services {
		if err := s.Reload(ctx, a); err != nil {
			log.Error("reload failed, keeping the running configuration", "err", err)
			a.setConfig(old)
			return
		}
	}
	log.Info("configuration reloaded", "config", cfg.Path)
}

func shutdownAll(services []Service, log *slog.Logger) {
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
