package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/config"
)

// learnConfig is a test config whose Bayes engine is active after 20
// messages of each class.
func learnConfig(t *testing.T) string {
	t.Helper()
	p := testConfig(t)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, "[scanners.bayes]\nmin_spam = 20\nmin_ham = 20")
	return p
}

func fakeMail(class string, i int) string {
	words := map[string]string{
		"spam": "cheap pills casino winner prize money offer viagra",
		"ham":  "kernel patch review meeting agenda build release notes",
	}[class]
	return fmt.Sprintf("From: %s%d@%s.example\nTo: bob@corp.example\nSubject: %s number %d\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"+
		"Message-ID: <%d.%s@x.example>\n\n%s and %s again, item %d\n", class, i, class, strings.Fields(words)[i%8], i, i, class, words, words, i)
}

func writeMails(t *testing.T, dir, class string, from, to int) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for i := from; i < to; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s%03d.eml", class, i)), []byte(fakeMail(class, i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func exitCode(err error) int {
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestLearnCounts(t *testing.T) {
	cfg := learnConfig(t)
	dir := t.TempDir()
	writeMails(t, filepath.Join(dir, "spam", "sub"), "spam", 0, 30)
	// Ham as one mbox file.
	var mbox bytes.Buffer
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&mbox, "From ham%d@ham.example Mon Jan  1 00:00:00 2024\n%s\n", i, fakeMail("ham", i))
	}
	os.WriteFile(filepath.Join(dir, "ham.mbox"), mbox.Bytes(), 0o644)

	steps := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"learn", "spam", filepath.Join(dir, "spam")}, "learned 30, already known 0, moved 0", 0},
		{[]string{"learn", "spam", filepath.Join(dir, "spam")}, "learned 0, already known 30, moved 0", 0},
		{[]string{"learn", "ham", filepath.Join(dir, "ham.mbox")}, "learned 30, already known 0, moved 0", 0},
		{[]string{"learn", "ham", filepath.Join(dir, "spam", "sub", "spam000.eml")}, "learned 0, already known 0, moved 1", 0},
		{[]string{"learn", "forget", filepath.Join(dir, "spam", "sub", "spam001.eml"), filepath.Join(dir, "nope.eml")},
			"forgotten 1, not found 0, failed 1 (store: 28 spam, 31 ham)", 1},
		{[]string{"learn", "stats"}, "spam 28, ham 31", 0},
		{[]string{"learn", "prune", "--older-than", "1h"}, "pruned 0 token(s)", 0},
		{[]string{"learn", "prune", "--max-count", "0"}, "", 2},
	}
	for _, s := range steps {
		out, err := run(t, cfg, s.args...)
		if !strings.Contains(out, s.want) || exitCode(err) != s.code {
			t.Errorf("mailtower %s: exit %d, output %q; want exit %d and %q", strings.Join(s.args, " "), exitCode(err), out, s.code, s.want)
		}
	}
}

func TestScanJSONAndExitCodes(t *testing.T) {
	cfg := learnConfig(t)
	dir := t.TempDir()
	writeMails(t, filepath.Join(dir, "spam"), "spam", 0, 40)
	writeMails(t, filepath.Join(dir, "ham"), "ham", 0, 40)
	mustRun(t, cfg, "learn", "spam", filepath.Join(dir, "spam"))
	mustRun(t, cfg, "learn", "ham", filepath.Join(dir, "ham"))
	writeMails(t, filepath.Join(dir, "new"), "spam", 100, 101)
	writeMails(t, filepath.Join(dir, "new"), "ham", 100, 101)
	newSpam := filepath.Join(dir, "new", "spam100.eml")
	newHam := filepath.Join(dir, "new", "ham100.eml")

	type line struct {
		File     string  `json:"file"`
		Verdict  string  `json:"verdict"`
		Score    float64 `json:"score"`
		Level    int     `json:"level"`
		Findings []struct {
			Rule, Category, Reason string
			Score                  float64
		} `json:"findings"`
		Error string `json:"error"`
	}
	parse := func(out string) []line {
		var ls []line
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var v line
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("not one JSON object per line: %q: %v", l, err)
			}
			ls = append(ls, v)
		}
		return ls
	}

	out, err := run(t, cfg, "scan", "--json", filepath.Join(dir, "new"))
	ls := parse(out)
	if exitCode(err) != 1 || len(ls) != 2 {
		t.Fatalf("exit %d, %d lines; want exit 1 (caught) and 2 lines:\n%s", exitCode(err), len(ls), out)
	}
	byFile := map[string]line{ls[0].File: ls[0], ls[1].File: ls[1]}
	if s := byFile[newSpam]; s.Verdict != "spam" || s.Score < 5 || s.Level != 3 || len(s.Findings) == 0 ||
		!strings.HasPrefix(s.Findings[0].Rule, "BAYES_") || s.Findings[0].Category != "spam" {
		t.Errorf("spam: %+v", s)
	}
	if h := byFile[newHam]; h.Verdict != "clean" || h.Score >= 0 {
		t.Errorf("ham: %+v, want clean with a negative score", h)
	}

	// Only clean mail: exit 0; stdin works; human output names the verdict.
	root := NewRootCommand()
	var buf bytes.Buffer
	root.SetOut(&buf)
	root.SetErr(&buf)
	root.SetIn(strings.NewReader(fakeMail("ham", 200)))
	root.SetArgs([]string{"--config", cfg, "scan", "-"})
	if err := root.Execute(); err != nil || !strings.HasPrefix(buf.String(), "-: CLEAN score") {
		t.Errorf("scan - : %v, %q", err, buf.String())
	}

	// An unreadable path is an error line and exit 3, never clean.
	out, err = run(t, cfg, "scan", "--json", filepath.Join(dir, "missing.eml"), newHam)
	ls = parse(out)
	if exitCode(err) != 3 || ls[0].Verdict != "error" || ls[0].Error == "" || ls[1].Verdict != "clean" {
		t.Errorf("missing file: exit %d, %+v", exitCode(err), ls)
	}

	// Bad level is a usage error.
	if _, err := run(t, cfg, "scan", "--level", "9", newHam); exitCode(err) != 2 {
		t.Errorf("--level 9: exit %d, want 2", exitCode(err))
	}
}

func TestBuiltinEngines(t *testing.T) {
	g := &globals{configPath: testConfig(t)}
	a, err := g.openApp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cases := []struct {
		name        string
		bayes, heur bool
		auth        bool
		want        []string
	}{
		{"default: both on", true, true, false, []string{"rules", "bayes", "heuristics"}},
		{"auth checks on", true, true, true, []string{"rules", "bayes", "heuristics"}},
		{"bayes off", false, true, false, []string{"rules", "heuristics"}},
		{"both off", false, false, false, []string{"rules"}},
	}
	for _, c := range cases {
		cfg := config.Default()
		cfg.Scanners.Bayes.Enabled, cfg.Scanners.Heuristics.Enabled, cfg.Scanners.Heuristics.Auth = c.bayes, c.heur, c.auth
		inbound, virus, err := buildEngines(context.Background(), a, cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var names []string
		for _, e := range inbound {
			names = append(names, e.Scanner.Name())
		}
		if !slices.Equal(names, c.want) || len(virus) != 0 {
			t.Errorf("%s: inbound %v, virus %d; want %v (the content filter is always on) and no virus engines", c.name, names, len(virus), c.want)
		}
	}
	if _, err := openBayes(context.Background(), &app{}, config.Default()); err == nil {
		t.Error("bayes without a database must be an error")
	}
}

// learn fit writes data_dir/combiner.json from learned mail, and scan
// then uses it; too little mail is refused.
func TestLearnFit(t *testing.T) {
	cfg := learnConfig(t)
	dir := t.TempDir()
	writeMails(t, filepath.Join(dir, "spam"), "spam", 0, 120)
	writeMails(t, filepath.Join(dir, "ham"), "ham", 0, 120)
	for _, c := range []string{"spam", "ham"} {
		if out, err := run(t, cfg, "learn", c, filepath.Join(dir, c)); err != nil {
			t.Fatalf("learn %s: %v %s", c, err, out)
		}
	}
	if out, err := run(t, cfg, "learn", "fit", "--spam", filepath.Join(dir, "spam", "spam000.eml"), "--ham", filepath.Join(dir, "ham")); exitCode(err) != 1 {
		t.Errorf("fit on 1 spam: exit %d, %s; want 1", exitCode(err), out)
	}
	out, err := run(t, cfg, "learn", "fit", "--spam", filepath.Join(dir, "spam"), "--ham", filepath.Join(dir, "ham"))
	if err != nil || !strings.Contains(out, "fitted on 120 spam, 120 ham") {
		t.Fatalf("learn fit: %v, %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "data", "combiner.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Weights map[string]float64 `json:"weights"`
		Spam    int                `json:"spam"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Spam != 120 || m.Weights["bayes"] <= 0 {
		t.Errorf("combiner.json: %v %s", err, b)
	}
	out, err = run(t, cfg, "scan", "--json", filepath.Join(dir, "spam", "spam001.eml"))
	if exitCode(err) != 1 || !strings.Contains(out, `"verdict":"spam"`) {
		t.Errorf("scan after fit: exit %d, %s", exitCode(err), out)
	}
}
