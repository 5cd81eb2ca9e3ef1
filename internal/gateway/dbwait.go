package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/sdnotify"
	"github.com/mailtower/mailtower/store"
)

// How a daemon waits for an unreachable PostgreSQL server at start.
// While it waits nothing listens, and Postfix tempfails every message
// (milter_default_action = tempfail, smtpd_policy_service_default_action
// = 451): senders keep their mail and retry. The wait is bounded below
// systemd's default start timeout (90 s): a start that never ends would
// hold back postfix.service (the unit is ordered Before= it) at boot.
// After startWait the daemon exits non-zero and its supervisor starts it
// again (the unit's Restart=on-failure), so the daemon keeps trying for
// as long as the server is away, and the log says so every time.
var (
	startWait       = time.Minute
	firstRetryDelay = time.Second
	maxRetryDelay   = 15 * time.Second
)

// openWaiting opens cfg's app, retrying with growing delays while a
// PostgreSQL database cannot be opened, for up to startWait, or until
// ctx ends or SIGTERM or SIGINT arrives. An SQLite database is opened
// once: its errors do not go away by waiting.
func openWaiting(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if !store.IsPostgresURL(cfg.Database) {
		return Open(ctx, cfg)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return retryOpen(ctx, log, func() (*App, error) { return Open(ctx, cfg) })
}

// retryOpen calls open until it succeeds, startWait has passed, or ctx
// ends, and returns open's last error wrapped.
func retryOpen(ctx context.Context, log *slog.Logger, open func() (*App, error)) (*App, error) {
	deadline := time.Now().Add(startWait)
	delay := firstRetryDelay
	for attempt := 1; ; attempt++ {
		a, err := open()
		if err == nil {
			if attempt > 1 {
				log.Info("database reachable, starting", "attempts", attempt)
			}
			return a, nil
		}
		if time.Now().Add(delay).After(deadline) {
			return nil, fmt.Errorf("database unreachable for %s (%d attempts), giving up; Postfix tempfails mail until mailtower runs: %w",
				startWait, attempt, err)
		}
		log.Warn("database unreachable at start, retrying; Postfix tempfails mail meanwhile",
			"err", err, "attempt", attempt, "retry_in", delay.String())
		_ = sdnotify.Notify("STATUS=waiting for the database")
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the database: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRetryDelay)
	}
}
