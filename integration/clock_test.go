//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProductionBinaryHasNoClockOverride: the binary built without the
// mailtower_testclock tag (as the package is) has no --now flag and
// ignores $MAILTOWER_NOW, so nobody can make release take over a release
// in progress or release expired items by moving the clock.
func TestProductionBinaryHasNoClockOverride(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "mailtower")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "mailtower.toml")
	if err := os.WriteFile(cfg, []byte("data_dir = \""+filepath.Join(dir, "data")+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(nil, "quarantine", "purge", "--dry-run", "--now", "2030-01-01T00:00:00Z")
	if err == nil || !strings.Contains(out, "unknown flag: --now") {
		t.Errorf("--now: %v\n%s\nwant an unknown-flag error", err, out)
	}
	// A test build refuses this value; the production build must not read it.
	out, err = run([]string{"MAILTOWER_NOW=not-a-time"}, "quarantine", "purge", "--dry-run")
	if err != nil || strings.Contains(out, "MAILTOWER_NOW") {
		t.Errorf("$MAILTOWER_NOW must be ignored: %v\n%s", err, out)
	}
}
