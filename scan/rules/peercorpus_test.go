//go:build peercorpus

package rules

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// peerExpect is one line of testdata/peercorpus.tsv.
type peerExpect struct {
	verdict string // "clean" or the sorted non-note rules, comma-separated
	why     string // required when the verdict names MALFORMED
}

// readPeerExpect reads testdata/peercorpus.tsv: "source/path<TAB>verdict
// <TAB>explanation"; '#' starts a comment.
func readPeerExpect(t *testing.T, name string) map[string]peerExpect {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]peerExpect{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 2 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		e := peerExpect{verdict: f[1]}
		if len(f) == 3 {
			e.why = strings.TrimSpace(f[2])
		}
		if strings.Contains(e.verdict, RuleMalformed) && e.why == "" {
			t.Errorf("%s: %s is MALFORMED without an explanation", name, f[0])
		}
		want[f[0]] = e
	}
	return want
}

// TestPeerCorpus scans other projects' MIME test messages (gathered by
// scripts/peer-corpus.sh into $MAILTOWER_PEER_CORPUS) with the content
// filter: no error, no hang (a deadline per message), and the verdict
// of each message as in testdata/peercorpus.tsv.
func TestPeerCorpus(t *testing.T) {
	dir := os.Getenv("MAILTOWER_PEER_CORPUS")
	if dir == "" {
		t.Fatal("MAILTOWER_PEER_CORPUS unset: run scripts/peer-corpus.sh")
	}
	want := readPeerExpect(t, "../../testdata/peercorpus.tsv")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(filepath.Base(filepath.Dir(p)), ".") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) < 100 {
		t.Fatalf("peer corpus %s: %d files, %v", dir, len(files), err)
	}
	sort.Strings(files)
	s := newScanner(t, DefaultLimits, corpusRules...)
	seen := map[string]bool{}
	counts := map[string][2]int{} // source -> messages, MALFORMED
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, reasons, err := peerVerdict(s, raw)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		src, _, _ := strings.Cut(rel, "/")
		c := counts[src]
		c[0]++
		if strings.Contains(got, RuleMalformed) {
			c[1]++
		}
		counts[src] = c
		e, ok := want[rel]
		switch {
		case !ok:
			t.Errorf("not in peercorpus.tsv:\n%s\t%s\t%s", rel, got, reasons)
		case e.verdict != got:
			t.Errorf("%s: verdict %q, want %q (%s)", rel, got, e.verdict, e.why)
		}
	}
	for rel := range want {
		if !seen[rel] {
			t.Errorf("%s: in peercorpus.tsv, missing from the corpus", rel)
		}
	}
	srcs := make([]string, 0, len(counts))
	for src := range counts {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs)
	for _, src := range srcs {
		t.Logf("%s: %d messages, %d MALFORMED", src, counts[src][0], counts[src][1])
	}
}

// peerVerdict scans one message with a deadline and returns "clean" or its
// non-note rules, sorted and comma-separated, and the findings' reasons.
func peerVerdict(s *Scanner, raw []byte) (verdict, reasons string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msg := scan.NewMessage(scan.Envelope{Sender: "sender@example.net", Recipients: []string{"a@example.com"}}, bytes.NewReader(raw), int64(len(raw)))
	fs, err := s.Scan(ctx, msg)
	if err != nil {
		return "", "", fmt.Errorf("scan: %w", err)
	}
	var rules, why []string
	for _, fd := range fs {
		if fd.Rule != RuleNote {
			rules = append(rules, fd.Rule)
			why = append(why, fd.Reason)
		}
	}
	if len(rules) == 0 {
		return "clean", "", nil
	}
	sort.Strings(rules)
	return strings.Join(rules, ","), strings.Join(why, "; "), nil
}
