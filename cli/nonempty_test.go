package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/smtptest"
	"github.com/mailtower/mailtower/quarantine"
)

// TestEmptyFilterRefused: a filter flag given an empty value (a script's
// unset variable) used to mean "no filter": `quarantine delete
// --recipient "" --yes` deleted the whole quarantine. Every such flag is
// refused with exit code 2 and its name, and nothing is touched.
func TestEmptyFilterRefused(t *testing.T) {
	sink := smtptest.New(t)
	cfg, spam, _, q := quarantineFixture(t, sink)
	ctx := context.Background()
	before, err := q.Count(ctx, quarantine.Filter{})
	if err != nil || before != 3 {
		t.Fatalf("fixture: %d items, %v", before, err)
	}
	mustRun(t, cfg, "domain", "add", "dest.example", "--relay", "[192.0.2.1]")
	for _, c := range []struct {
		flag string
		args []string
	}{
		{"recipient", []string{"quarantine", "delete", "--recipient", "", "--yes"}},
		{"domain", []string{"quarantine", "delete", "--domain", "", "--yes"}},
		{"sender", []string{"quarantine", "delete", "--sender", "", "--yes"}},
		{"sender", []string{"quarantine", "delete", "--sender", "  ", "--yes"}},
		{"category", []string{"quarantine", "delete", "--category", "", "--yes"}},
		{"before", []string{"quarantine", "delete", "--before", "", "--yes"}},
		{"since", []string{"quarantine", "delete", "--since", "", "--yes"}},
		{"recipient", []string{"quarantine", "delete", spam, "--recipient", ""}},
		{"recipient", []string{"quarantine", "list", "--recipient", ""}},
		{"search", []string{"quarantine", "list", "--search", ""}},
		{"recipient", []string{"quarantine", "release", spam, "--recipient", ""}},
		{"recipient", []string{"quarantine", "release", spam, "--recipient", "a@dest.example,"}},
		{"sender", []string{"greylist", "clear", "--sender", ""}},
		{"recipient", []string{"greylist", "list", "--recipient", ""}},
		{"domain", []string{"user", "list", "--domain", ""}},
		{"domain", []string{"alias", "list", "--domain", ""}},
		{"kind", []string{"rule", "list", "--kind", ""}},
		{"block-content", []string{"rule", "add", "global", "--block-content", ""}},
	} {
		out, err := run(t, cfg, c.args...)
		var ec *exitCodeError
		if !errors.As(err, &ec) || ec.code != 2 || !strings.Contains(err.Error(), "--"+c.flag+": the value must not be empty") {
			t.Errorf("%q: err %v (output %q), want exit 2 naming --%s", c.args, err, out, c.flag)
		}
	}
	if after, err := q.Count(ctx, quarantine.Filter{}); err != nil || after != before {
		t.Fatalf("quarantine holds %d items after the refused commands, want %d (%v)", after, before, err)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Fatalf("%d messages released", n)
	}
	if out := mustRun(t, cfg, "rule", "list"); strings.Contains(out, "block-content") {
		t.Fatalf("an empty block-content rule was added:\n%s", out)
	}
	// A given, non-empty filter still works.
	mustRun(t, cfg, "quarantine", "delete", "--sender", "nobody@else.example", "--yes")
}
