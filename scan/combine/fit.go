package combine

import (
	"math"
	"sort"
	"strings"
)

// Sample is one learned message's evidence and class.
type Sample struct {
	Features []Feature
	Spam     bool
}

// BulkRules are heuristic rules that say "bulk mail", which newsletters,
// receipts and mailing lists are as much as spam: Fit never gives them a
// positive weight, so they can lower a score but never raise one, and
// lower it by at most BulkMinWeight (spam can carry them too).
var BulkRules = map[string]bool{
	"heuristics:HTML_ONLY":          true,
	"heuristics:HTML_LINK_MISMATCH": true,
	"heuristics:LIST_ID":            true,
	"heuristics:LIST_UNSUBSCRIBE":   true,
}

// BulkMinWeight is the lowest weight of a bulk rule.
const BulkMinWeight = -1.0

// MaxRuleWeight caps one heuristic rule's log-odds: header and structure
// rules are weak evidence, and none may decide alone.
const MaxRuleWeight = 1.5

// DefaultFPTargets are the false-positive rates levels 1..5 accept.
var DefaultFPTargets = [5]float64{0.0005, 0.001, 0.0025, 0.005, 0.01}

// MinCuts are the lowest log-odds each level may start at whatever the
// learned ham says: a small ham sample must not open a level wide.
var MinCuts = [5]float64{6, 4, 2.5, 1.5, 0.5}

// bounds are the weights a feature may take.
func bounds(name string) (lo, hi float64) {
	switch {
	case name == "bayes", name == "spamd", name == "rspamd":
		return 0, math.Inf(1)
	case BulkRules[name]:
		return BulkMinWeight, 0
	}
	return math.Inf(-1), MaxRuleWeight
}

// FitOptions tune Fit; zero fields take the defaults.
type FitOptions struct {
	// L2 is the ridge penalty per weight (default 1.0, in units of
	// messages: it is the pull of one message towards zero weight).
	L2 float64
	// Iterations of the gradient descent (default 3000).
	Iterations int
	// FPTargets are the false-positive rates of levels 1..5.
	FPTargets [5]float64
}

// withDefaults fills the zero fields.
func (o FitOptions) withDefaults() FitOptions {
	if o.L2 <= 0 {
		o.L2 = 1
	}
	if o.Iterations <= 0 {
		o.Iterations = 3000
	}
	if o.FPTargets == ([5]float64{}) {
		o.FPTargets = DefaultFPTargets
	}
	return o
}

// Fit fits a logistic model to the samples (projected AdaGrad on the
// L2-penalised log-loss, with bounds keeping bulk rules non-positive and
// one rule from deciding alone) and chooses the levels' cuts from the
// ham's log-odds (Cuts). The samples' evidence must not have been
// learned from the same messages (out-of-fold or leave-one-out), or the
// classifier's weight is overestimated.
//
// The fit has two stages. The built-in evidence (classifier and
// heuristics) is fitted first, without spamd's and rspamd's: it is there
// for every message, with or without those engines (not configured, or
// skipped by the cascade), so its weights and the cuts must not assume
// them. spamd and rspamd are then fitted on top (FitOver) when the
// samples hold their evidence; otherwise the shipped model's Over holds.
func Fit(samples []Sample, o FitOptions) *Model {
	o = o.withDefaults()
	rows := make([]row, 0, len(samples))
	for _, s := range samples {
		r := row{spam: s.Spam}
		for _, f := range s.Features {
			if !ExternalEngines[f.Name] && !isRuleFeature(f.Name) {
				r.x = append(r.x, f)
			}
		}
		rows = append(rows, r)
	}
	w, names := descend(rows, true, o, bounds)
	m := &Model{Weights: map[string]float64{}, PerPoint: DefaultModel().PerPoint, FPTargets: o.FPTargets}
	for i, name := range names {
		m.Weights[name] = round4(w[i])
	}
	m.Bias = round4(w[len(names)])
	var hamZ []float64
	for _, r := range rows {
		if r.spam {
			m.Spam++
			continue
		}
		m.Ham++
		z := m.Bias
		for _, f := range r.x {
			z += m.Weights[f.Name] * f.X
		}
		hamZ = append(hamZ, z)
	}
	m.Cuts = Cuts(hamZ, o.FPTargets)
	// Before any learning the classifier is silent: the shipped
	// untrained bias holds. Without a classifier, spamd and rspamd get
	// the weight at which their own spam threshold (5, 6) alone is level
	// 3, as before the combiner, and 0 points is the untrained bias: 0.9
	// log-odds a point of spamd's score.
	def := DefaultModel()
	m.BiasUntrained = def.BiasUntrained
	for name, threshold := range map[string]float64{"spamd": 5, "rspamd": 6} {
		m.Weights[name] = round4((m.Cuts[2] - m.BiasUntrained) / threshold)
	}
	// An engine fitted now replaces all its shipped entries (score and
	// rules); the others keep the shipped ones.
	over := FitOver(samples, m, o)
	m.Over = map[string]Over{}
	for name, ov := range def.Over {
		eng, _, _ := strings.Cut(name, ":")
		if _, refitted := over[eng]; !refitted {
			m.Over[name] = ov
		}
	}
	for name, ov := range over {
		m.Over[name] = ov
	}
	return m
}

// row is one sample in the gradient descent: its features, class, and a
// fixed log-odds offset.
type row struct {
	x      []Feature
	offset float64
	spam   bool
}

// descend minimises the L2-penalised log-loss of the rows by projected
// AdaGrad, each weight kept within bound(name); with bias, the last
// weight returned is an unpenalised bias. It returns the weights and the
// features' names in their order.
func descend(rows []row, bias bool, o FitOptions, bound func(string) (float64, float64)) ([]float64, []string) {
	idx := map[string]int{}
	var names []string
	for _, r := range rows {
		for _, f := range r.x {
			if _, ok := idx[f.Name]; !ok {
				idx[f.Name] = len(names)
				names = append(names, f.Name)
			}
		}
	}
	nb := len(names)
	w := make([]float64, nb+1) // last is the bias
	g2 := make([]float64, len(w))
	grad := make([]float64, len(w))
	lo, hi := make([]float64, nb), make([]float64, nb)
	for i, name := range names {
		lo[i], hi[i] = bound(name)
	}
	n := float64(len(rows))
	for it := 0; it < o.Iterations; it++ {
		for i := range grad {
			grad[i] = 0
		}
		for _, r := range rows {
			z := w[nb] + r.offset
			for _, f := range r.x {
				z += w[idx[f.Name]] * f.X
			}
			y := 0.0
			if r.spam {
				y = 1
			}
			d := sigmoid(z) - y
			for _, f := range r.x {
				grad[idx[f.Name]] += d * f.X
			}
			grad[nb] += d
		}
		for i := range w {
			if i == nb && !bias {
				continue
			}
			g := grad[i] / n
			if i < nb {
				g += o.L2 * w[i] / n
			}
			g2[i] += g * g
			w[i] -= 0.5 * g / (math.Sqrt(g2[i]) + 1e-8)
			if i < nb {
				w[i] = math.Min(math.Max(w[i], lo[i]), hi[i])
			}
		}
	}
	return w, names
}

// Cuts chooses the log-odds at which each level starts: just above the
// ham whose log-odds leave the level's target share of ham at or above
// it, never below MinCuts, and each level at least 0.5 below the one
// stricter than it.
func Cuts(hamZ []float64, targets [5]float64) [5]float64 {
	z := append([]float64(nil), hamZ...)
	sort.Sort(sort.Reverse(sort.Float64Slice(z)))
	var cuts [5]float64
	for l := 0; l < 5; l++ {
		c := MinCuts[l]
		if k := int(targets[l] * float64(len(z))); k < len(z) {
			c = math.Max(c, z[k]+0.01)
		}
		cuts[l] = math.Round(c*100) / 100
	}
	for l := 3; l >= 0; l-- {
		cuts[l] = math.Max(cuts[l], cuts[l+1]+0.5)
	}
	return cuts
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
