// Command evalolr compares, on scripts/eval.sh's time-ordered split, the
// built-in Robinson/Fisher classifier (scan/bayes) with an online
// discriminative one: logistic regression on hashed features (the bayes
// tokenizer's tokens, and orthogonal sparse bigrams of the message's
// words), trained on errors until no errors (TONE: a pass updates only
// messages inside a margin, passes repeat until none is, at most 10).
// Both see the same tokens of the same training mail; it prints each
// one's ranking quality on the test mail: 1 − AUC and the spam recall at
// the scores of the 1st, 2nd and 5th highest-scored test ham (0, 1 and 4
// false positives).
package main

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mailtower/mailtower/scan/bayes"
)

type msg struct {
	toks   []uint64 // the bayes tokens, then the bigrams
	nbayes int      // how many are bayes tokens (Robinson sees only those)
	spam   bool
}

func main() {
	dir := flag.String("split", "", "evalsplit output directory (train/ and test/)")
	bits := flag.Uint("bits", 22, "log2 of the hashed weight table")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: evalolr -split DIR")
		os.Exit(2)
	}
	tok := bayes.NewTokenizer(bayes.DefaultLimits)
	train, err := load(tok, filepath.Join(*dir, "train"))
	if err == nil {
		var test []msg
		test, err = load(tok, filepath.Join(*dir, "test"))
		if err == nil {
			compare(train, test, *bits)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalolr:", err)
		os.Exit(1)
	}
}

func load(tok *bayes.Tokenizer, dir string) ([]msg, error) {
	var out []msg
	for _, class := range []string{"spam", "ham"} {
		files, err := filepath.Glob(filepath.Join(dir, class, "*.txt"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				return nil, err
			}
			feat, err := tok.TokenStrings(fh)
			fh.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, msg{toks: append(feat.Tokens, osb(feat.Strings)...), nbayes: len(feat.Tokens), spam: class == "spam"})
		}
	}
	return out, nil
}

// osb are orthogonal sparse bigrams of the plain words in order: each
// word with each of the next four, with the distance (w1 _ _ w2).
func osb(strs []string) []uint64 {
	var words []string
	for _, s := range strs {
		if !strings.Contains(s, ":") {
			words = append(words, s)
		}
	}
	var out []uint64
	for i := range words {
		for d := 1; d <= 4 && i+d < len(words); d++ {
			h := fnv.New64a()
			fmt.Fprintf(h, "osb%d:%s %s", d, words[i], words[i+d])
			out = append(out, h.Sum64())
		}
	}
	return out
}

func compare(train, test []msg, bits uint) {
	// Robinson/Fisher with the shipped parameters.
	counts := map[uint64]bayes.Counts{}
	var ns, nh int
	for _, m := range train {
		if m.spam {
			ns++
		} else {
			nh++
		}
		for _, t := range m.toks[:m.nbayes] {
			c := counts[t]
			if m.spam {
				c.Spam++
			} else {
				c.Ham++
			}
			counts[t] = c
		}
	}
	rob := func(m msg) float64 {
		var probs []float64
		for _, t := range m.toks[:m.nbayes] {
			if c, ok := counts[t]; ok {
				probs = append(probs, bayes.DefaultParams.TokenProb(c, ns, nh))
			}
		}
		return bayes.DefaultParams.Combine(probs).Prob
	}
	// Online logistic regression, TONE.
	w := make([]float32, 1<<bits)
	mask := uint64(1)<<bits - 1
	score := func(m msg) float64 {
		var z float64
		for _, t := range m.toks {
			z += float64(w[t&mask])
		}
		return z / math.Sqrt(float64(len(m.toks)+1))
	}
	const rate, margin = 0.5, 2.0
	for pass := 0; pass < 10; pass++ {
		updates := 0
		for _, i := range order(len(train), pass) {
			m := train[i]
			y := -1.0
			if m.spam {
				y = 1
			}
			z := score(m)
			if y*z >= margin {
				continue
			}
			updates++
			p := sigmoid(z)
			t := 0.0
			if m.spam {
				t = 1
			}
			step := float32(rate * (t - p) / math.Sqrt(float64(len(m.toks)+1)))
			for _, tk := range m.toks {
				w[tk&mask] += step
			}
		}
		fmt.Printf("olr pass %d: %d updates\n", pass+1, updates)
		if updates == 0 {
			break
		}
	}
	report("robinson/fisher (today)", test, rob)
	report("online logistic regression (TONE)", test, score)
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func report(name string, test []msg, f func(msg) float64) {
	var spam, ham []float64
	for _, m := range test {
		if m.spam {
			spam = append(spam, f(m))
		} else {
			ham = append(ham, f(m))
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(ham)))
	var wrong float64
	for _, s := range spam {
		for _, h := range ham {
			switch {
			case h > s:
				wrong++
			case h == s:
				wrong += 0.5
			}
		}
	}
	recallAbove := func(k int) float64 {
		var n int
		for _, s := range spam {
			if s > ham[k] {
				n++
			}
		}
		return 100 * float64(n) / float64(len(spam))
	}
	fmt.Printf("%-36s 1-AUC %.5f  recall at 0 FP %.1f%%, 1 FP %.1f%%, 4 FP %.1f%% (%d spam, %d ham)\n", name,
		wrong/float64(len(spam)*len(ham)), recallAbove(0), recallAbove(1), recallAbove(4), len(spam), len(ham))
}

// order is a fixed pseudo-random order of n messages for each pass: the
// training files are sorted by class, and online learning must not see
// all spam first.
func order(n, pass int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	x := uint64(pass + 1)
	for i := n - 1; i > 0; i-- {
		x = x*6364136223846793005 + 1442695040888963407
		j := int((x >> 33) % uint64(i+1))
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx
}
