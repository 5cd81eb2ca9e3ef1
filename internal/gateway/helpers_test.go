package gateway

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/settings/settingstest"
)

// testConfig writes a configuration with a temporary data_dir.
func testConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "mailtower.toml")
	if err := os.WriteFile(p, []byte("data_dir = \""+filepath.Join(dir, "data")+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openTestApp loads the configuration at path and opens its app.
func openTestApp(t *testing.T, path string) *App {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// testApp opens a settings store in a temporary data directory.
func testApp(t *testing.T, cfg *config.Config) *App {
	st, db := settingstest.Open(t)
	return &App{Config: cfg, DB: db, Settings: st}
}
