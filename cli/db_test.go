package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/store/storetest"
)

// dbTestConfig writes a configuration whose milter and policy daemon
// listen on addresses nothing answers on (a free port of each), unless
// the test opens them.
func dbTestConfig(t *testing.T) (cfg, milter string) {
	t.Helper()
	var ports [2]string
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().String()
		l.Close()
	}
	dir := t.TempDir()
	cfg = filepath.Join(dir, "mailtower.toml")
	body := fmt.Sprintf("data_dir = %q\n[milter]\nlisten = \"inet:%s\"\n[policyd]\nlisten = %q\n",
		filepath.Join(dir, "data"), ports[0], ports[1])
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, ports[0]
}

func TestDBMigrateToRefuses(t *testing.T) {
	cfg, milter := dbTestConfig(t)
	if _, err := run(t, cfg, "db", "migrate-to", "mysql://db/mailtower"); err == nil || !strings.Contains(err.Error(), `"mysql://db/mailtower": want a postgres:// URL`) {
		t.Errorf("a URL of another engine: %v", err)
	}
	l, err := net.Listen("tcp", milter)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := run(t, cfg, "db", "migrate-to", "postgres://127.0.0.1:1/x"); err == nil || !strings.Contains(err.Error(), "the milter answers on "+milter) {
		t.Errorf("with the milter's address answering: %v", err)
	}
}

// TestDBMigrateTo runs the command against PostgreSQL: one line per
// table with its rows, then the same as JSON with --force.
func TestDBMigrateTo(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("needs PostgreSQL: scripts/test-postgres.sh ./cli/")
	}
	url, err := storetest.URL(t)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := dbTestConfig(t)
	mustRun(t, cfg, "domain", "add", "x.test", "--relay", "[127.0.0.1]:25")
	mustRun(t, cfg, "user", "add", "alice@x.test")
	out := mustRun(t, cfg, "db", "migrate-to", url)
	for _, re := range []string{`(?m)^users +1 rows$`, `(?m)^domains +1 rows$`, `(?m)^quarantine bodies: 0 messages`, `(?m)^done: `} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
	if _, err := run(t, cfg, "db", "migrate-to", url); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("again into the filled database: %v, want a refusal pointing at --force", err)
	}
	out = mustRun(t, cfg, "db", "migrate-to", "--force", "--json", url)
	var rep struct {
		Tables []struct {
			Table string `json:"table"`
			Rows  int64  `json:"rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	found := false
	for _, tb := range rep.Tables {
		found = found || (tb.Table == "users" && tb.Rows == 1)
	}
	if !found {
		t.Errorf("--json has no users table with 1 row: %s", out)
	}
}
