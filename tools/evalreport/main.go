// Command evalreport sums up a cross-validation run of scripts/eval.sh:
// it reads `mailtower scan --json` output for held-out spam and ham and
// prints spam recall and ham false positives at each spam level, judged
// by each message's summed score against settings.SpamThresholds.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mailtower/mailtower/settings"
)

type line struct {
	File    string  `json:"file"`
	Verdict string  `json:"verdict"`
	Score   float64 `json:"score"`
	Error   string  `json:"error"`
}

// tally counts, per level, the messages at or above its threshold.
type tally struct {
	n, errors int
	caught    [6]int
}

func read(paths string, t *tally, misses bool, wantSpam bool) error {
	for _, p := range strings.Split(paths, ",") {
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				f.Close()
				return fmt.Errorf("%s: %w", p, err)
			}
			t.n++
			if l.Verdict == "error" {
				t.errors++
				fmt.Fprintf(os.Stderr, "error: %s: %s\n", l.File, l.Error)
				continue
			}
			for lv := 1; lv <= 5; lv++ {
				if l.Score >= settings.SpamThresholds[lv] {
					t.caught[lv]++
				}
			}
			at3 := l.Score >= settings.SpamThresholds[3]
			if misses && at3 != wantSpam {
				fmt.Fprintf(os.Stderr, "level-3 %s: %s score %.1f\n", map[bool]string{true: "miss", false: "false positive"}[wantSpam], l.File, l.Score)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func main() {
	spamFiles := flag.String("spam", "", "comma-separated scan --json outputs of held-out spam")
	hamFiles := flag.String("ham", "", "comma-separated scan --json outputs of held-out ham")
	misses := flag.Bool("misses", false, "list level-3 misses and false positives on stderr")
	flag.Parse()
	var spam, ham tally
	if err := read(*spamFiles, &spam, *misses, true); err != nil {
		fmt.Fprintln(os.Stderr, "evalreport:", err)
		os.Exit(1)
	}
	if err := read(*hamFiles, &ham, *misses, false); err != nil {
		fmt.Fprintln(os.Stderr, "evalreport:", err)
		os.Exit(1)
	}
	fmt.Printf("held-out messages: %d spam, %d ham (scan errors: %d spam, %d ham)\n", spam.n, ham.n, spam.errors, ham.errors)
	fmt.Printf("%-6s %-9s %-20s %-20s\n", "level", "threshold", "spam recall", "ham false positives")
	for lv := 1; lv <= 5; lv++ {
		mark := ""
		if lv == 3 {
			mark = "  <- default (goal: recall >= 95%, FP <= 0.5%)"
		}
		fmt.Printf("%-6d %-9.1f %6.2f%% (%4d/%4d)  %5.2f%% (%3d/%4d)%s\n", lv, settings.SpamThresholds[lv],
			pct(spam.caught[lv], spam.n), spam.caught[lv], spam.n, pct(ham.caught[lv], ham.n), ham.caught[lv], ham.n, mark)
	}
	if spam.errors+ham.errors > 0 {
		os.Exit(1)
	}
}
