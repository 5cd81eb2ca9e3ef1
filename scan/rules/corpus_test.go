package rules

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/settings"
)

// corpusRules are the rules the malformed-message corpus is judged with:
// #1 blocks executables, #2 a content pattern.
var corpusRules = []settings.Rule{
	rule("global", settings.BlockFiletype, "exe"),
	rule("global", settings.BlockContent, "(?i)forbidden phrase"),
}

// readExpect reads a corpus sidecar: one line per expected finding, "RULE
// substring-of-reason"; "clean" for none; '#' starts a comment.
func readExpect(t *testing.T, name string) map[string]string {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "clean" || strings.HasPrefix(line, "#") {
			continue
		}
		rule, sub, _ := strings.Cut(line, " ")
		want[rule] = sub
	}
	return want
}

// TestMalformedCorpus runs testdata/malformed/*.eml through the content
// filter; each message's findings must be exactly those of its .expect file
// (the MIME_NOTE finding only counts when the file names it).
func TestMalformedCorpus(t *testing.T) {
	files, err := filepath.Glob("../../testdata/malformed/*.eml")
	if err != nil || len(files) < 25 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	s := newScanner(t, DefaultLimits, corpusRules...)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := readExpect(t, strings.TrimSuffix(f, ".eml")+".expect")
			got := map[string]string{}
			var rules []string
			for _, fd := range scanRaw(t, s, raw) {
				if _, ok := want[RuleNote]; fd.Rule == RuleNote && !ok {
					continue
				}
				got[fd.Rule] = fd.Reason + " | " + strings.Join(fd.Rules, " | ")
				rules = append(rules, fd.Rule)
			}
			sort.Strings(rules)
			for r, sub := range want {
				if !strings.Contains(got[r], sub) {
					t.Errorf("want %s with %q; have %q", r, sub, got[r])
				}
			}
			if len(got) != len(want) {
				t.Errorf("findings %v, want exactly %d: %v", rules, len(want), want)
			}
		})
	}
}
