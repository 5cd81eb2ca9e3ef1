package combine

import (
	"math"
	"reflect"
	"testing"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/heuristics"
)

func heur(rule string) scan.Finding {
	return scan.Finding{Scanner: "heuristics", Category: scan.Spam, Rule: rule, Score: heuristics.Rules[rule].Score}
}

func bayesProb(p float64) scan.Finding {
	b := bayes.BandFor(p)
	return scan.Finding{Scanner: "bayes", Category: scan.Spam, Rule: b.Rule, Score: b.Score, Value: p}
}

// Before any learning no heuristic rule reaches even level 5 alone, and
// spamd's own threshold (5) is level 3's, as it was before the combiner.
func TestDefaultSafeBeforeLearning(t *testing.T) {
	m := DefaultModel()
	for name, r := range heuristics.Rules {
		if s, _ := m.Combine([]scan.Finding{heur(name)}); s >= Levels[4] {
			t.Errorf("%s (%.1f points) alone scores %.2f >= level 5's %.1f", name, r.Score, s, Levels[4])
		}
	}
	spamd := func(v float64) scan.Finding {
		return scan.Finding{Scanner: "spamd", Category: scan.Spam, Rule: "SPAMASSASSIN", Score: v, Value: v}
	}
	if s, _ := m.Combine([]scan.Finding{spamd(5.0)}); s < Levels[2] {
		t.Errorf("spamd 5.0 alone scores %.2f, below level 3's %.1f", s, Levels[2])
	}
	if s, _ := m.Combine([]scan.Finding{spamd(4.5)}); s >= Levels[2] {
		t.Errorf("spamd 4.5 alone scores %.2f, at level 3", s)
	}
}

// The score is the no-evidence points plus each weighed finding's share,
// plus the points of findings the model does not weigh; a remembered
// release still outweighs everything.
func TestCombineExplains(t *testing.T) {
	m := DefaultModel()
	in := []scan.Finding{bayesProb(0.999), heur("SUBJECT_ALL_CAPS"), heur("HTML_ONLY")}
	score, out := m.Combine(in)
	sum := m.Points(m.Bias)
	for _, f := range out {
		sum += f.Score
	}
	if math.Abs(sum-score) > 0.05 {
		t.Errorf("shares sum to %.2f, score %.2f: %+v", sum, score, out)
	}
	if in[0].Score != bayes.BandFor(0.999).Score {
		t.Error("Combine changed its input")
	}
	if score < Levels[2] {
		t.Errorf("P=0.999 scores %.2f, below level 3", score)
	}
	sig := scan.Finding{Scanner: "bayes", Category: scan.Spam, Rule: bayes.SignatureRule, Score: bayes.SignatureScore}
	if s, _ := m.Combine(append(in, sig)); s > 0 {
		t.Errorf("released signature: score %.2f, want < 0", s)
	}
}

func TestPointsMonotoneThroughCuts(t *testing.T) {
	m := DefaultModel()
	for l, c := range m.Cuts {
		if got := m.Points(c); math.Abs(got-Levels[l]) > 1e-9 {
			t.Errorf("Points(cut %d = %.2f) = %.3f, want %.1f", l+1, c, got, Levels[l])
		}
	}
	prev := math.Inf(-1)
	for z := -20.0; z <= 20; z += 0.25 {
		p := m.Points(z)
		if !(p > prev) {
			t.Fatalf("Points not increasing at %.2f: %.3f after %.3f", z, p, prev)
		}
		prev = p
	}
}

// A bulk rule that fires mostly on spam of the training mail still gets
// no positive weight: newsletters show it as much as spam does.
func TestFitBulkRulesNeverRaise(t *testing.T) {
	var samples []Sample
	for i := 0; i < 400; i++ {
		spam := i%4 == 0
		lo := -4.0
		if spam {
			lo = 4
		}
		fs := []Feature{{Name: "bayes", X: lo + float64(i%7) - 3}}
		if spam || i%40 == 1 {
			fs = append(fs, Feature{Name: "heuristics:HTML_ONLY", X: 1}, Feature{Name: "heuristics:SUBJECT_ALL_CAPS", X: 1})
		} else {
			fs = append(fs, Feature{Name: "heuristics:LIST_ID", X: 1}) // every ham from a list
		}
		samples = append(samples, Sample{Features: fs, Spam: spam})
	}
	m := Fit(samples, FitOptions{Iterations: 500})
	if w := m.Weights["heuristics:HTML_ONLY"]; w > 0 {
		t.Errorf("HTML_ONLY weight %.3f > 0", w)
	}
	if w := m.Weights["heuristics:LIST_ID"]; w < BulkMinWeight || w > 0 {
		t.Errorf("LIST_ID weight %.3f outside [%.1f, 0]", w, BulkMinWeight)
	}
	if w := m.Weights["heuristics:SUBJECT_ALL_CAPS"]; w > MaxRuleWeight {
		t.Errorf("SUBJECT_ALL_CAPS weight %.3f > cap %.1f", w, MaxRuleWeight)
	}
	if w := m.Weights["bayes"]; w <= 0 {
		t.Errorf("bayes weight %.3f, want > 0", w)
	}
	if err := m.Check(); err != nil {
		t.Error(err)
	}
}

func TestParseRejectsBadCuts(t *testing.T) {
	if _, err := Parse([]byte(`{"bias":0,"cuts":[1,2,3,4,5]}`)); err == nil {
		t.Error("increasing cuts accepted")
	}
	if _, err := Parse([]byte(`{`)); err == nil {
		t.Error("broken JSON accepted")
	}
}

func TestCertain(t *testing.T) {
	m := DefaultModel()
	for _, tc := range []struct {
		name string
		in   []scan.Finding
		want bool
	}{
		{"no classifier", []scan.Finding{heur("SUBJECT_ALL_CAPS")}, false},
		{"clear ham", []scan.Finding{bayesProb(1e-9)}, true},
		{"clear spam", []scan.Finding{bayesProb(1 - 1e-12)}, true},
		{"unsure", []scan.Finding{bayesProb(0.7)}, false},
		{"released", []scan.Finding{{Scanner: "bayes", Category: scan.Spam, Rule: bayes.SignatureRule, Score: -100}}, true},
	} {
		if got := m.Certain(tc.in); got != tc.want {
			t.Errorf("%s: Certain = %v (log-odds %.2f), want %v", tc.name, got, m.LogOdds(tc.in), tc.want)
		}
	}
}

// spamd's score counts as its distance from its own threshold: an
// ordinary ham score with an unsure classifier is not spam (a ham of the
// time split scored 2.8 by spamd, P = 0.39 by bayes, was level 3 when
// spamd's score counted from zero), and a clear spamd score still is.
func TestSpamdCentredWithClassifier(t *testing.T) {
	m := DefaultModel()
	spamd := func(v float64) scan.Finding {
		return scan.Finding{Scanner: "spamd", Category: scan.Spam, Rule: "SPAMASSASSIN", Score: v, Value: v}
	}
	if s, _ := m.Combine([]scan.Finding{bayesProb(0.39), spamd(2.8)}); s >= Levels[2] {
		t.Errorf("P=0.39 + spamd 2.8 scores %.2f, level 3", s)
	}
	if s, _ := m.Combine([]scan.Finding{bayesProb(0.5), spamd(9)}); s < Levels[2] {
		t.Errorf("P=0.5 + spamd 9 scores %.2f, below level 3", s)
	}
}

// spamd's evidence is fitted over the built-in evidence: the built-in
// weights and cuts are the same with or without spamd in the samples (a
// message the cascade skips, or an install without spamd, is judged as
// fitted), and spamd's weight over a classifier is fitted, not assumed.
func TestFitOverKeepsBuiltin(t *testing.T) {
	var with, without []Sample
	for i := 0; i < 600; i++ {
		spam := i%3 == 0
		b, sa := -3.0+float64(i%5), -4.0+float64(i%4)
		if spam {
			b, sa = 3-float64(i%5), 2+float64(i%6)
		}
		fs := []Feature{{Name: "bayes", X: b}}
		without = append(without, Sample{Features: fs, Spam: spam})
		with = append(with, Sample{Features: append(fs[:1:1], Feature{Name: "spamd", X: sa}), Spam: spam})
	}
	a, b := Fit(without, FitOptions{Iterations: 400}), Fit(with, FitOptions{Iterations: 400})
	if a.Weights["bayes"] != b.Weights["bayes"] || a.Bias != b.Bias || a.Cuts != b.Cuts {
		t.Errorf("built-in part changed by spamd: %v %v %v / %v %v %v", a.Weights["bayes"], a.Bias, a.Cuts, b.Weights["bayes"], b.Bias, b.Cuts)
	}
	ov, ok := b.Over["spamd"]
	if !ok || ov.Weight <= 0 {
		t.Fatalf("spamd over the classifier: %+v, want a positive weight", b.Over)
	}
	if def := DefaultModel(); !reflect.DeepEqual(a.Over, def.Over) {
		t.Errorf("fitted without spamd: Over %v, want the shipped %v", a.Over, def.Over)
	}
	// Without a classifier spamd keeps its threshold-is-level-3 weight.
	spamd := scan.Finding{Scanner: "spamd", Category: scan.Spam, Score: 5, Value: 5}
	if s, _ := b.Combine([]scan.Finding{spamd}); s < Levels[2] {
		t.Errorf("spamd 5 without a classifier scores %.2f, below level 3", s)
	}
	z0 := b.LogOdds([]scan.Finding{bayesProb(0.5)})
	z1 := b.LogOdds([]scan.Finding{bayesProb(0.5), {Scanner: "spamd", Category: scan.Spam, Value: 9}})
	if want := ov.Offset + ov.Weight*4; math.Abs(z1-z0-want) > 1e-9 {
		t.Errorf("spamd 9 over P=0.5 adds %.3f log-odds, want %.3f", z1-z0, want)
	}
}

// spamd's rule names are evidence over a classifier: a rule that fires on
// enough fitted messages gets a bounded weight, a rare one none, and no
// rule counts without a classifier.
func TestFitOverRuleNames(t *testing.T) {
	var samples []Sample
	for i := 0; i < 600; i++ {
		spam := i%3 == 0
		b := -2.0 + float64(i%3)
		if spam {
			b = 0.5
		}
		fs := []Feature{{Name: "bayes", X: b}, {Name: "spamd", X: -3}}
		if spam && i%2 == 0 {
			fs = append(fs, Feature{Name: "spamd:URIBL_FAKE", X: 1})
		}
		if i == 3 {
			fs = append(fs, Feature{Name: "spamd:RARE", X: 1})
		}
		samples = append(samples, Sample{Features: fs, Spam: spam})
	}
	m := Fit(samples, FitOptions{Iterations: 400})
	w := m.Over["spamd:URIBL_FAKE"].Weight
	if w <= 0 || w > MaxRuleWeight {
		t.Errorf("URIBL_FAKE over the classifier: %.3f, want in (0, %.1f]", w, MaxRuleWeight)
	}
	if _, ok := m.Over["spamd:RARE"]; ok {
		t.Errorf("a rule on 1 message got a weight: %v", m.Over)
	}
	if _, ok := m.Weights["spamd:URIBL_FAKE"]; ok {
		t.Error("a spamd rule in the built-in weights")
	}
	f := scan.Finding{Scanner: "spamd", Category: scan.Spam, Value: 2, Rules: []string{"URIBL_FAKE"}}
	g := f
	g.Rules = nil
	if d := m.LogOdds([]scan.Finding{bayesProb(0.5), f}) - m.LogOdds([]scan.Finding{bayesProb(0.5), g}); math.Abs(d-w) > 1e-9 {
		t.Errorf("rule adds %.3f with a classifier, want %.3f", d, w)
	}
	if m.LogOdds([]scan.Finding{f}) != m.LogOdds([]scan.Finding{g}) {
		t.Error("a rule counted without a classifier")
	}
}
