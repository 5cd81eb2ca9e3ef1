package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRuleLifecycle(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "example.com", "--relay", "mx.example.com")
	for _, args := range [][]string{
		{"rule", "add", "global", "--block-filetype", ".EXE"},
		{"rule", "add", "example.com", "--block-content", `(?i)wire transfer`, "--comment", "fraud"},
		{"rule", "add", "a@example.com", "--allow-sender", "boss@partner.org"},
	} {
		mustRun(t, cfg, args...)
	}
	var all []ruleView
	if err := json.Unmarshal([]byte(mustRun(t, cfg, "rule", "list", "--json")), &all); err != nil {
		t.Fatal(err)
	}
	want := []string{"global block-filetype exe", "example.com block-content (?i)wire transfer", "a@example.com allow-sender boss@partner.org"}
	if len(all) != len(want) {
		t.Fatalf("rules %+v, want %v", all, want)
	}
	for i, w := range want {
		if got := all[i].Scope + " " + all[i].Kind + " " + all[i].Value; got != w {
			t.Errorf("rule %d = %q, want %q", i, got, w)
		}
	}
	if out := mustRun(t, cfg, "rule", "list", "example.com"); !strings.Contains(out, "wire transfer") || strings.Contains(out, "exe") {
		t.Errorf("list example.com:\n%s", out)
	}
	if out := mustRun(t, cfg, "rule", "list", "--kind", "block-filetype"); !strings.Contains(out, "exe") || strings.Contains(out, "wire") {
		t.Errorf("list --kind block-filetype:\n%s", out)
	}
	mustRun(t, cfg, "rule", "remove", "1")
	if out := mustRun(t, cfg, "rule", "list"); strings.Contains(out, "block-filetype") {
		t.Errorf("rule 1 still listed:\n%s", out)
	}
}

func TestRuleBadInput(t *testing.T) {
	cfg := testConfig(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rule", "add", "global", "--block-content", "(unclosed"}, "(unclosed"},
		{[]string{"rule", "add", "global"}, "exactly one"},
		{[]string{"rule", "add", "global", "--block-filetype", "exe", "--block-ip", "10.0.0.0/8"}, "exactly one"},
		{[]string{"rule", "add", "no_such_scope", "--block-filetype", "exe"}, "no_such_scope"},
		{[]string{"rule", "add", "global", "--block-filetype", "a b"}, `"a b"`},
		{[]string{"rule", "list", "--kind", "nope"}, `"nope"`},
		{[]string{"rule", "remove", "x1"}, `"x1"`},
	} {
		out, err := run(t, cfg, tc.args...)
		var ec *exitCodeError
		if err == nil || !strings.Contains(err.Error()+out, tc.want) || !errors.As(err, &ec) || ec.code != 2 {
			t.Errorf("%v: err %v, want exit 2 naming %s", tc.args, err, tc.want)
		}
	}
	if _, err := run(t, cfg, "rule", "remove", "99"); err == nil || !strings.Contains(err.Error(), "99") {
		t.Errorf("remove of a missing rule: %v", err)
	}
}
