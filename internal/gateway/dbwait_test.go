package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
)

// shortWait makes the start-up wait fast for a test.
func shortWait(t *testing.T, wait time.Duration) {
	t.Helper()
	oldWait, oldFirst, oldMax := startWait, firstRetryDelay, maxRetryDelay
	startWait, firstRetryDelay, maxRetryDelay = wait, 10*time.Millisecond, 40*time.Millisecond
	t.Cleanup(func() { startWait, firstRetryDelay, maxRetryDelay = oldWait, oldFirst, oldMax })
}

// A database that comes up while the daemon waits is used; every failed
// attempt is logged with its error.
func TestRetryOpenWaitsForTheDatabase(t *testing.T) {
	shortWait(t, 5*time.Second)
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	down := errors.New("connection refused")
	calls := 0
	a, err := retryOpen(context.Background(), log, func() (*App, error) {
		calls++
		if calls < 3 {
			return nil, down
		}
		return &App{}, nil
	})
	if err != nil || a == nil {
		t.Fatalf("retryOpen: %v, %v", a, err)
	}
	if calls != 3 || strings.Count(logged.String(), "database unreachable at start") != 2 {
		t.Errorf("%d attempts, log:\n%s", calls, logged.String())
	}
}

// A database that stays away ends the wait with its error, so that the
// supervisor starts the daemon again; a stop request ends it at once.
func TestRetryOpenGivesUp(t *testing.T) {
	shortWait(t, 200*time.Millisecond)
	log := slog.New(slog.DiscardHandler)
	down := errors.New("connection refused")
	calls := 0
	_, err := retryOpen(context.Background(), log, func() (*App, error) { calls++; return nil, down })
	if !errors.Is(err, down) || calls < 3 {
		t.Errorf("after %d attempts: %v; want the last error after several attempts", calls, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = retryOpen(ctx, log, func() (*App, error) { return nil, down })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, down) {
		t.Errorf("stopped: %v", err)
	}
}

// An SQLite database is not waited for: its errors do not go away.
func TestOpenWaitingSQLiteOnce(t *testing.T) {
	shortWait(t, 5*time.Second)
	cfg := &config.Config{DataDir: "/proc/mailtower-cannot-be-here"}
	start := time.Now()
	if _, err := openWaiting(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("opened a database in /proc")
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("SQLite start failure took %s: it was retried", time.Since(start))
	}
}
