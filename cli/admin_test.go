package cli

import (
	"bytes"
	"strings"
	"testing"
)

// runStdin is run with standard input.
func runStdin(t *testing.T, cfg, stdin string, args ...string) (string, error) {
	t.Helper()
	root := NewRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--config", cfg}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestPortalAccountCommands(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "example.org", "--relay", "[192.0.2.1]")
	mustRun(t, cfg, "user", "add", "bob@example.org")
	for _, c := range []struct {
		stdin string
		args  []string
		ok    bool
		out   string
	}{
		{"a long password\n", []string{"user", "passwd", "bob@example.org"}, true, "password of bob@example.org set"},
		{"short\n", []string{"user", "passwd", "bob@example.org"}, false, "at least 10"},
		{"", []string{"user", "passwd", "bob@example.org"}, false, "no password on standard input"},
		{"a long password\n", []string{"user", "passwd", "nobody@example.org"}, false, "no such user or admin"},
		{"$2b$04$9tJzYbH1Zt6lqNnS8vQ7nOe4Q0Pq6o2M3xqOe5m6c7d8e9f0a1b2c\n", []string{"user", "passwd", "--hash", "bob@example.org"}, true, "set"},
		{"not a hash\n", []string{"user", "passwd", "--hash", "bob@example.org"}, false, "bcrypt"},
		{"", []string{"admin", "add", "root-admin"}, true, "set its password with"},
		{"", []string{"admin", "add", "bob@example.org", "--domain", "example.org"}, true, "administers example.org"},
		{"", []string{"admin", "add", "eve", "--domain", "unknown.example"}, false, "not found"},
		{"", []string{"admin", "require-totp", "example.org"}, true, "required: true"},
		{"", []string{"admin", "list"}, true, "root-admin"},
		{"", []string{"admin", "totp-reset", "nobody"}, false, "no such login"},
		{"", []string{"admin", "remove", "bob@example.org", "--domain", "example.org"}, true, "removed 1 role"},
	} {
		out, err := runStdin(t, cfg, c.stdin, c.args...)
		if (err == nil) != c.ok || !strings.Contains(out+errText(err), c.out) {
			t.Errorf("mailtower %s: err %v, out %q; want ok=%v and %q", strings.Join(c.args, " "), err, out, c.ok, c.out)
		}
	}
	// Removing the user removes its login: a new bob does not inherit the password.
	mustRun(t, cfg, "admin", "add", "bob@example.org", "--domain", "example.org")
	mustRun(t, cfg, "user", "remove", "bob@example.org")
	mustRun(t, cfg, "user", "add", "bob@example.org")
	if out := mustRun(t, cfg, "admin", "list"); strings.Contains(out, "bob@") {
		t.Errorf("bob's role survived his removal:\n%s", out)
	}
	out := mustRun(t, cfg, "audit", "list", "--action", "setting")
	for _, want := range []string{"role admin", "role domain admin of example.org", "require 2FA true", "removed role domain_admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit list lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, cfg, "audit", "list", "--action", "password", "--json"); !strings.Contains(out, `"target": "bob@example.org"`) {
		t.Errorf("audit list --json:\n%s", out)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
