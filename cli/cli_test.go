package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the command line in-process with a temporary config.
func run(t *testing.T, cfg string, args ...string) (string, error) {
	t.Helper()
	root := NewRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--config", cfg}, args...))
	err := root.Execute()
	return out.String(), err
}

func testConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "mailtower.toml")
	if err := os.WriteFile(p, []byte("data_dir = \""+filepath.Join(dir, "data")+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRun(t *testing.T, cfg string, args ...string) string {
	t.Helper()
	out, err := run(t, cfg, args...)
	if err != nil {
		t.Fatalf("mailtower %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestDomainAndUserLifecycle(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "Example.COM", "--relay", "mx.example.net:2525", "--spam-level", "4", "--relay-net", "192.0.2.0/24")
	mustRun(t, cfg, "user", "add", "bob@example.com", "--spam-action", "tag")
	out := mustRun(t, cfg, "user", "show", "bob@example.com", "--json")
	var v userView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range v.Policy {
		got[p.Setting] = p.Value + " (" + p.Source + ")"
	}
	for k, want := range map[string]string{
		"spam-action":  "tag (user)",
		"spam-level":   "4 (strict (score >= 3.5)) (domain)",
		"virus-action": "quarantine (default)",
		"max-size":     "25MB (default)",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	// "default" removes an override again.
	mustRun(t, cfg, "domain", "set", "example.com", "--spam-level", "default", "--catch-all")
	out = mustRun(t, cfg, "domain", "show", "example.com")
	for _, want := range []string{"catch-all       true", "192.0.2.0/24", "spam-level      3"} {
		if !strings.Contains(out, want) {
			t.Errorf("domain show lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, cfg, "domain", "list", "--json")
	var ds []domainView
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 1 || ds[0].Users != 1 {
		t.Fatalf("domain list %s %v", out, err)
	}
	mustRun(t, cfg, "domain", "remove", "example.com", "--purge")
	if _, err := run(t, cfg, "user", "show", "bob@example.com"); err == nil {
		t.Fatal("user must be gone with its domain")
	}
}

func TestBadInputNamesTheValue(t *testing.T) {
	cfg := testConfig(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"domain", "add", "nodot", "--relay", "x.example"}, "nodot"},
		{[]string{"domain", "add", "a.example"}, "--relay"},
		{[]string{"domain", "add", "a.example", "--relay", "x.example", "--spam-level", "9"}, `"9"`},
		{[]string{"domain", "add", "a.example", "--relay", "x.example", "--virus-action", "pass"}, `"pass"`},
		{[]string{"domain", "add", "a.example", "--relay", "x.example", "--max-size", "huge"}, `"huge"`},
		{[]string{"user", "add", "not-an-address"}, "not-an-address"},
		{[]string{"user", "add", "a@unknown.example"}, "not found"},
	} {
		out, err := run(t, cfg, tc.args...)
		if err == nil || !strings.Contains(err.Error()+out, tc.want) {
			t.Errorf("%v: err %v, want one naming %s", tc.args, err, tc.want)
		}
	}
	_, err := run(t, cfg, "domain", "add", "a.example", "--relay", "x.example", "--spam-level", "9")
	var ec *exitCodeError
	if !errors.As(err, &ec) || ec.code != 2 {
		t.Errorf("a bad flag must exit 2, got %v", err)
	}
}

func TestConfigCheck(t *testing.T) {
	cfg := testConfig(t)
	if out := mustRun(t, cfg, "config", "check"); !strings.Contains(out, "ok") {
		t.Fatalf("config check: %s", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[defaults]\nspam_level = 0\nspam_action = \"nuke\"\n"), 0o644)
	out, err := run(t, bad, "config", "check")
	if err == nil || !strings.Contains(out, "spam_level") || !strings.Contains(out, "nuke") {
		t.Fatalf("config check of a bad file: %v\n%s", err, out)
	}
}

func TestDomainAddTellsAboutRecipientValidation(t *testing.T) {
	cfg := testConfig(t)
	out := mustRun(t, cfg, "domain", "add", "strict.example", "--relay", "mx.example.net")
	if !strings.Contains(out, "only known users of strict.example are accepted") {
		t.Errorf("domain add without users must say that every recipient is refused until users exist:\n%s", out)
	}
	out = mustRun(t, cfg, "domain", "add", "open.example", "--relay", "mx.example.net", "--catch-all")
	if strings.Contains(out, "only known users") {
		t.Errorf("a catch-all domain accepts any local part:\n%s", out)
	}
}

func TestConfigCheckComparesPostfixTimeout(t *testing.T) {
	cfg := testConfig(t)
	bin := t.TempDir()
	// A stand-in postconf that prints what the test sets and records its arguments.
	os.WriteFile(filepath.Join(bin, "postconf"), []byte("#!/bin/sh\necho \"$@\" > \"$0.args\"\ncat \"$0.out\"\n"), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.WriteFile(filepath.Join(bin, "postconf.out"), []byte("milter_content_timeout = 60s\n"), 0o644)
	out, err := run(t, cfg, "config", "check", "--postfix-dir", "/etc/postfix-x")
	if err == nil || !strings.Contains(out, "milter_content_timeout = 60s is too short") {
		t.Fatalf("Postfix waiting 60s for a 120s decision: %v\n%s", err, out)
	}
	if args, _ := os.ReadFile(filepath.Join(bin, "postconf.args")); string(args) != "-c /etc/postfix-x milter_content_timeout\n" {
		t.Errorf("postconf called with %q", args)
	}
	os.WriteFile(filepath.Join(bin, "postconf.out"), []byte("milter_content_timeout = 160s\n"), 0o644)
	if out := mustRun(t, cfg, "config", "check"); !strings.Contains(out, "ok") {
		t.Fatalf("config check with Postfix waiting 160s: %s", out)
	}
}

// `domain set --tls` stores the relay's TLS policy that the socketmap
// serves as smtp_tls_policy_maps (issue 16).
func TestDomainTLSPolicy(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "tls.example", "--relay", "mx.tls.example")
	if out := mustRun(t, cfg, "domain", "show", "tls.example"); !strings.Contains(out, "may (default)") {
		t.Errorf("default:\n%s", out)
	}
	mustRun(t, cfg, "domain", "set", "tls.example", "--tls", "verify")
	if out := mustRun(t, cfg, "domain", "show", "tls.example"); !strings.Contains(out, "verify\n") {
		t.Errorf("after --tls verify:\n%s", out)
	}
	if _, err := run(t, cfg, "domain", "set", "tls.example", "--tls", "dane-only"); err == nil || !strings.Contains(err.Error(), "dane-only") {
		t.Errorf("bad policy: %v", err)
	}
	mustRun(t, cfg, "domain", "set", "tls.example", "--tls", "default")
	if out := mustRun(t, cfg, "domain", "show", "tls.example"); !strings.Contains(out, "may (default)") {
		t.Errorf("after default:\n%s", out)
	}
}
