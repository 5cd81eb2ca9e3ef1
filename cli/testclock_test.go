package cli

import (
	"strings"
	"testing"
	"time"
)

// The cli package's own tests use --now.
func init() { testClock = true }

// TestProductionHasNoClockOverride: without the test-clock build tag,
// --now is an unknown flag and $MAILTOWER_NOW is ignored.
func TestProductionHasNoClockOverride(t *testing.T) {
	testClock = false
	t.Cleanup(func() { testClock = true })
	cfg := testConfig(t)
	_, err := run(t, cfg, "quarantine", "purge", "--dry-run", "--now", "2030-01-01T00:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "unknown flag: --now") {
		t.Fatalf("--now: err %v, want unknown flag", err)
	}
	t.Setenv(envNow, "not a time")
	if _, err := run(t, cfg, "quarantine", "purge", "--dry-run"); err != nil {
		t.Fatalf("$%s must be ignored: %v", envNow, err)
	}
	clock, err := (&quarantineGlobals{now: "2030-01-01T00:00:00Z"}).clock()
	if err != nil || clock().Year() != time.Now().Year() {
		t.Fatalf("clock: %v, %v; want the real clock", clock(), err)
	}
}
