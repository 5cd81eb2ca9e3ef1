package cli

import (
	"strings"
	"testing"
)

// Issue 12: removing a domain that still holds settings is refused with a
// list of them; --purge removes the domain with everything it holds, and
// a domain added again under the same name starts empty.
func TestDomainRemoveRefusesUntilPurge(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "x.test", "--relay", "mx.x.test")
	mustRun(t, cfg, "user", "add", "bob@x.test")
	mustRun(t, cfg, "alias", "add", "sales@x.test")
	mustRun(t, cfg, "rule", "add", "x.test", "--block-sender", "spam@bad.test")
	mustRun(t, cfg, "rule", "add", "bob@x.test", "--allow-sender", "friend@good.test")
	mustRun(t, cfg, "domain", "set", "x.test", "--virus-retention", "7d")

	out, err := run(t, cfg, "domain", "remove", "x.test")
	want := "domain x.test still holds 1 user, 1 alias, 2 rules, 1 retention override"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--purge") {
		t.Fatalf("remove without --purge: err %v, out %q; want an error with %q", err, out, want)
	}
	mustRun(t, cfg, "user", "show", "bob@x.test") // nothing was removed

	mustRun(t, cfg, "domain", "remove", "x.test", "--purge")
	mustRun(t, cfg, "domain", "add", "x.test", "--relay", "mx.x.test")
	for _, args := range [][]string{{"user", "list", "--domain", "x.test"}, {"alias", "list", "--domain", "x.test"},
		{"rule", "list", "x.test"}, {"rule", "list", "bob@x.test"}} {
		if out := mustRun(t, cfg, args...); strings.Contains(out, "x.test") {
			t.Errorf("%v after remove --purge and add:\n%s", args, out)
		}
	}
	if out := mustRun(t, cfg, "domain", "show", "x.test", "--json"); strings.Contains(out, `"source": "domain"`) {
		t.Errorf("the old domain's retention override came back:\n%s", out)
	}
	// An empty domain needs no --purge.
	mustRun(t, cfg, "domain", "remove", "x.test")
}
