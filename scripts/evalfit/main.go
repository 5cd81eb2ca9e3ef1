// Command evalfit fits the spam combiner (scan/combine) for
// scripts/eval.sh: it reads `mailtower scan --json` output of spam and ham
// that the engines had not learned (out-of-fold), fits the model and
// prints it as JSON, for data_dir/combiner.json or the shipped
// scan/combine/default.json.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/combine"
)

func main() {
	spamFiles := flag.String("spam", "", "comma-separated scan --json outputs of spam")
	hamFiles := flag.String("ham", "", "comma-separated scan --json outputs of ham")
	l2 := flag.Float64("l2", 1, "ridge penalty")
	flag.Parse()
	var samples []combine.Sample
	for _, in := range []struct {
		files string
		spam  bool
	}{{*spamFiles, true}, {*hamFiles, false}} {
		s, err := read(in.files, in.spam)
		if err != nil {
			fmt.Fprintln(os.Stderr, "evalfit:", err)
			os.Exit(1)
		}
		samples = append(samples, s...)
	}
	m := combine.Fit(samples, combine.FitOptions{L2: *l2})
	// spamd and rspamd are not in the evaluation: without a fitted
	// weight, a score at their own spam threshold (5 and 6) alone
	// reaches level 3 when no classifier reports, as before the
	// combiner.
	def := combine.DefaultModel()
	m.BiasUntrained = def.BiasUntrained
	for _, e := range []struct {
		name      string
		threshold float64
	}{{"spamd", 5}, {"rspamd", 6}} {
		if _, ok := m.Weights[e.name]; !ok {
			m.Weights[e.name] = math.Round((m.Cuts[2]-m.BiasUntrained)/e.threshold*1e4) / 1e4
		}
	}
	m.PerPoint = def.PerPoint
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalfit:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

type line struct {
	Verdict  string         `json:"verdict"`
	Findings []scan.Finding `json:"findings"`
}

func read(paths string, spam bool) ([]combine.Sample, error) {
	var out []combine.Sample
	for _, p := range strings.Split(paths, ",") {
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if l.Verdict == "error" {
				continue
			}
			s := combine.Sample{Spam: spam}
			for _, fd := range l.Findings {
				if fd.Category != scan.Spam {
					continue
				}
				if ft, ok := combine.FeatureOf(fd); ok {
					s.Features = append(s.Features, ft)
				}
			}
			out = append(out, s)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return out, nil
}
