package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
)

// The purge service starts with the daemon's app, reloads, and stops
// between two runs when asked (it never runs in this test: the first run
// is purgeFirst after start).
func TestPurgeServiceLifecycle(t *testing.T) {
	cfg := testConfig(t)
	a := openTestApp(t, cfg)
	s, err := StartPurge(context.Background(), a, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.Config.Defaults.VirusDays = 3
	if err := s.Reload(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if got := s.(*purgeService).store.Default().Virus.Hours(); got != 72 {
		t.Fatalf("reload kept virus retention %vh, want 72h", got)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, start := range Serve() {
		found = found || funcName(start) == funcName(StartPurge)
	}
	if !found {
		t.Fatal("serve does not run the purge service")
	}
}

func funcName(f Starter) string { return fmt.Sprintf("%p", f) }
