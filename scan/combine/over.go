package combine

import (
	"math"
	"strings"

	"github.com/mailtower/mailtower/scan"
)

// Over is an external engine's (spamd's, rspamd's) evidence on top of the
// built-in engines' when a classifier reported: Offset + Weight × its
// centred score is added to the built-in log-odds. It is fitted after
// the built-in weights, with their log-odds held fixed (FitOver), so that
// the built-in model is the same with or without the engine, and the
// engine's weight measures only what it adds to the classifier. Offset
// is what the engine's presence says: an engine that scores ordinary ham
// well below its threshold pulls everything down by its weight, and the
// offset gives that back.
type Over struct {
	Weight float64 `json:"weight"`
	Offset float64 `json:"offset"`
}

// ExternalEngines are the engines Fit weighs over the built-in evidence.
var ExternalEngines = map[string]bool{"spamd": true, "rspamd": true}

// contrib is a feature's log-odds: Over's for an external engine when a
// classifier reported, else the weight times the value.
func (m *Model) contrib(ft Feature, classified bool) float64 {
	if classified {
		if o, ok := m.Over[ft.Name]; ok {
			return o.Offset + o.Weight*ft.X
		}
	}
	return m.weight(ft) * ft.X
}

// hasClassifier reports whether a classifier's probability is among the
// findings (a remembered release does not count).
func hasClassifier(spam []scan.Finding) bool {
	for _, f := range spam {
		if ft, ok := FeatureOf(f); ok && ft.Name == "bayes" {
			return true
		}
	}
	return false
}

// RuleFeatures are the names of the rules spamd or rspamd report with
// their score (scan.Finding.Rules) as evidence: "spamd:RULE", 1 each.
// They are weighed only over a classifier, by FitOver.
func RuleFeatures(f scan.Finding) []Feature {
	if !ExternalEngines[f.Scanner] {
		return nil
	}
	out := make([]Feature, 0, len(f.Rules))
	for _, r := range f.Rules {
		out = append(out, Feature{Name: f.Scanner + ":" + r, X: 1})
	}
	return out
}

// isRuleFeature tells an external engine's rule feature.
func isRuleFeature(name string) bool {
	eng, _, ok := strings.Cut(name, ":")
	return ok && ExternalEngines[eng] && !strings.HasSuffix(name, ":offset")
}

// MinRuleSupport is the fewest fitted messages a spamd or rspamd rule
// must fire on to get a weight: rarer rules are noise on a few thousand
// messages.
const MinRuleSupport = 20

// rulesContrib is the weight of f's rules when a classifier reported.
func (m *Model) rulesContrib(f scan.Finding, classified bool) float64 {
	if !classified || !ExternalEngines[f.Scanner] {
		return 0
	}
	var z float64
	for _, r := range f.Rules {
		z += m.Over[f.Scanner+":"+r].Weight
	}
	return z
}

// offsetName is the feature name of an engine's offset in the fit.
func offsetName(engine string) string { return engine + ":offset" }

// FitOver fits the external engines' Over weights on the samples that
// hold their evidence: a logistic regression whose per-sample offset is
// the built-in model's log-odds (m, with its Weights already fitted), so
// only the engines' weight and offset are learned. It returns nil when no
// sample holds an external engine's evidence.
func FitOver(samples []Sample, m *Model, o FitOptions) map[string]Over {
	o = o.withDefaults()
	support := map[string]int{}
	for _, s := range samples {
		for _, f := range s.Features {
			if isRuleFeature(f.Name) {
				support[f.Name]++
			}
		}
	}
	var rows []row
	for _, s := range samples {
		r := row{spam: s.Spam}
		for _, f := range s.Features {
			switch {
			case ExternalEngines[f.Name]:
				r.x = append(r.x, f, Feature{Name: offsetName(f.Name), X: 1})
			case isRuleFeature(f.Name):
				if support[f.Name] >= MinRuleSupport {
					r.x = append(r.x, f)
				}
			default:
				r.offset += m.Weights[f.Name] * f.X
			}
		}
		if len(r.x) > 0 {
			r.offset += m.Bias
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	w, names := descend(rows, false, o, func(name string) (float64, float64) {
		switch {
		case ExternalEngines[name]:
			return 0, math.Inf(1)
		case isRuleFeature(name):
			return -MaxRuleWeight, MaxRuleWeight
		}
		return math.Inf(-1), math.Inf(1)
	})
	out := map[string]Over{}
	for i, name := range names {
		if ExternalEngines[name] {
			ov := out[name]
			ov.Weight = round4(w[i])
			out[name] = ov
		}
	}
	for i, name := range names {
		if isRuleFeature(name) && math.Abs(w[i]) >= 1e-3 {
			out[name] = Over{Weight: round4(w[i])}
		}
		for eng := range out {
			if name == offsetName(eng) {
				ov := out[eng]
				ov.Offset = round4(w[i])
				out[eng] = ov
			}
		}
	}
	return out
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
