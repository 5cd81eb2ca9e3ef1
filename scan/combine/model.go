// Package combine turns the evidence of mailtower's spam engines into one
// spam score per message, without counting one signal twice: a logistic
// model over the engines' outputs (bayes' log-odds, each heuristic rule,
// spamd's and rspamd's clipped scores) whose weights are fitted together
// on learned mail (Fit), so that two engines seeing the same thing share
// its weight instead of adding it twice. Its log-odds are mapped onto the
// points scale of the spam levels at cut-offs chosen by the false-positive
// rate each level accepts (Cuts).
package combine

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
)

// LogitClip bounds bayes' log-odds and ScoreClip spamd's and rspamd's
// scores: beyond them more certainty of one engine adds nothing.
const (
	LogitClip = 10.0
	ScoreMin  = -10.0
	ScoreMax  = 20.0
)

// EngineCenter is spamd's and rspamd's own spam threshold (SpamAssassin's
// required_score 5, rspamd's "add header" 6): their scores are read as
// the distance from it.
var EngineCenter = map[string]float64{"spamd": 5, "rspamd": 6}

// Levels are the points thresholds of spam levels 1..5 (as
// settings.SpamThresholds): the model's cut-offs map onto them.
var Levels = [5]float64{12, 8, 5, 3.5, 2.5}

// Model is a fitted combiner.
type Model struct {
	// Bias is the log-odds with no evidence but a neutral classifier.
	Bias float64 `json:"bias"`
	// BiasUntrained replaces Bias when no classifier reports (too little
	// learned, or bayes off): the fitted Bias assumes the classifier's
	// evidence, and without it must not push every message to a level.
	// When spamd or rspamd reports but no classifier, level 3's cut is
	// the bias: their own threshold alone is level 3, as before the
	// combiner.
	BiasUntrained float64 `json:"bias_untrained"`
	// Weights are per feature (see Features): "bayes", "spamd",
	// "rspamd", "heuristics:RULE".
	Weights map[string]float64 `json:"weights"`
	// PerPoint is the weight per point of an engine's score for a
	// feature the model has no weight for (a new heuristic rule).
	PerPoint float64 `json:"per_point"`
	// Over are spamd's and rspamd's weights and offsets when a
	// classifier reported too, fitted on top of the built-in evidence
	// (see Over); without an entry the engine counts Weights' weight.
	Over map[string]Over `json:"over,omitempty"`
	// Cuts are the log-odds at which levels 1..5 start, decreasing.
	Cuts [5]float64 `json:"cuts"`
	// FPTargets are the false-positive rates the cuts were chosen for.
	FPTargets [5]float64 `json:"fp_targets,omitempty"`
	// Spam and Ham count the messages the model was fitted on.
	Spam int `json:"spam,omitempty"`
	Ham  int `json:"ham,omitempty"`
}

// Parse reads a model from JSON and checks it.
func Parse(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("combiner model: %w", err)
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Check reports a model that cannot map log-odds onto the levels.
func (m *Model) Check() error {
	for i := 1; i < len(m.Cuts); i++ {
		if !(m.Cuts[i] < m.Cuts[i-1]) {
			return fmt.Errorf("combiner model: cuts %v must decrease from level 1 to 5", m.Cuts)
		}
	}
	for _, v := range append([]float64{m.Bias, m.BiasUntrained, m.PerPoint}, m.Cuts[:]...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("combiner model: not a finite number in %v", m.Cuts)
		}
	}
	return nil
}

// Feature is one piece of evidence read from a finding.
type Feature struct {
	// Name is the feature's name in Model.Weights.
	Name string
	// X is its value: 1 for a rule that fired, log-odds, or a score.
	X float64
	// Points is the finding's own score, for the PerPoint fallback.
	Points float64
}

// FeatureOf reads a spam finding as evidence; ok is false for findings
// the model does not weigh (a remembered release, another engine's or an
// admin's rule): their points are added as they are.
func FeatureOf(f scan.Finding) (Feature, bool) {
	switch f.Scanner {
	case "bayes":
		if f.Rule == bayes.SignatureRule {
			return Feature{}, false
		}
		return Feature{Name: "bayes", X: logit(f.Value), Points: f.Score}, true
	case "spamd", "rspamd":
		// Centred on the engine's own spam threshold: a score there is
		// no evidence beyond "uncertain".
		x := math.Min(math.Max(f.Value, ScoreMin), ScoreMax) - EngineCenter[f.Scanner]
		return Feature{Name: f.Scanner, X: x, Points: f.Score}, true
	case "heuristics":
		return Feature{Name: "heuristics:" + f.Rule, X: 1, Points: f.Score}, true
	}
	return Feature{}, false
}

func logit(p float64) float64 {
	if math.IsNaN(p) {
		return 0
	}
	p = math.Min(math.Max(p, 1e-12), 1-1e-12)
	return math.Min(math.Max(math.Log(p/(1-p)), -LogitClip), LogitClip)
}

// weight is the model's weight for ft, or the fallback by points.
func (m *Model) weight(ft Feature) float64 {
	if w, ok := m.Weights[ft.Name]; ok {
		return w
	}
	if ft.X == 0 {
		return 0
	}
	return m.PerPoint * ft.Points / ft.X
}

// LogOdds is the model's spam log-odds of the findings, without the
// points of the findings it does not weigh.
func (m *Model) LogOdds(spam []scan.Finding) float64 {
	z := m.bias(spam)
	classified := hasClassifier(spam)
	for _, f := range spam {
		if ft, ok := FeatureOf(f); ok {
			z += m.contrib(ft, classified) + m.rulesContrib(f, classified)
		}
	}
	return z
}

// bias is Bias when a classifier reported on the message, else level
// 3's cut when spamd or rspamd did, else BiasUntrained.
func (m *Model) bias(spam []scan.Finding) float64 {
	b := m.BiasUntrained
	for _, f := range spam {
		ft, ok := FeatureOf(f)
		switch {
		case !ok:
		case ft.Name == "bayes":
			return m.Bias
		case ft.Name == "spamd" || ft.Name == "rspamd":
			b = m.Cuts[2]
		}
	}
	return b
}

// Points maps log-odds onto the levels' points scale: linear between the
// cuts (Cuts[i] gives Levels[i]) and beyond them with the nearest slope.
func (m *Model) Points(z float64) float64 {
	// Knots in increasing z: level 5 first.
	var xs, ys [5]float64
	for i := 0; i < 5; i++ {
		xs[i], ys[i] = m.Cuts[4-i], Levels[4-i]
	}
	j := sort.SearchFloat64s(xs[:], z)
	switch {
	case j <= 0:
		j = 1
	case j >= 5:
		j = 4
	}
	x0, x1, y0, y1 := xs[j-1], xs[j], ys[j-1], ys[j]
	return y0 + (z-x0)*(y1-y0)/(x1-x0)
}

// Combine implements scan.Combiner: the score is Points(LogOdds) plus the
// points of findings the model does not weigh. Each weighed finding's
// Score becomes its share of the points above the no-evidence score
// Points(Bias), in proportion to its log-odds, so the findings still say
// which evidence moved the verdict and by how much.
func (m *Model) Combine(spam []scan.Finding) (float64, []scan.Finding) {
	out := make([]scan.Finding, len(spam))
	copy(out, spam)
	bias := m.bias(spam)
	classified := hasClassifier(spam)
	z := bias
	var fixed float64
	contrib := make([]float64, len(out))
	weighed := make([]bool, len(out))
	for i, f := range out {
		ft, ok := FeatureOf(f)
		if !ok {
			fixed += f.Score
			continue
		}
		contrib[i], weighed[i] = m.contrib(ft, classified)+m.rulesContrib(f, classified), true
		z += contrib[i]
	}
	base, score := m.Points(bias), m.Points(z)
	slope := 1.0
	if d := z - bias; math.Abs(d) > 1e-9 {
		slope = (score - base) / d
	} else {
		slope = (m.Points(bias+1e-3) - base) / 1e-3
	}
	for i := range out {
		if weighed[i] {
			out[i].Score = round2(contrib[i] * slope)
		}
	}
	return round2(score + fixed), out
}

// CertainSpamMargin and CertainHamMargin are how far above level 1's cut
// and below level 5's the log-odds must be for the verdict to be certain:
// about what spamd adds over a classifier (the shipped Over) at −2 points
// (SpamAssassin's negative rules are few and small), and less than it adds
// at +12 points.
const (
	CertainSpamMargin = 2.0
	CertainHamMargin  = 4.0
)

// Certain implements scan.Certainty: the evidence is spam at level 1 or
// clean at level 5 by the margins. Without a classifier's evidence
// nothing is certain.
func (m *Model) Certain(spam []scan.Finding) bool {
	hasBayes := false
	for _, f := range spam {
		if f.Scanner == "bayes" {
			if f.Rule == bayes.SignatureRule {
				return true
			}
			hasBayes = true
		}
	}
	if !hasBayes {
		return false
	}
	z := m.LogOdds(spam)
	return z >= m.Cuts[0]+CertainSpamMargin || z <= m.Cuts[4]-CertainHamMargin
}

var _ scan.Certainty = (*Model)(nil)

func round2(x float64) float64 { return math.Round(x*100) / 100 }

var _ scan.Combiner = (*Model)(nil)
