package scan

import (
	"sort"
	"sync/atomic"
)

// Combiner turns the spam evidence of one message into one spam score, so
// that evidence the engines share is not counted twice (see package
// scan/combine).
type Combiner interface {
	// Combine returns the spam score of the spam findings and a copy of
	// them with each Score set to the points that finding contributed.
	Combine(spam []Finding) (score float64, explained []Finding)
}

// SumCombiner adds the findings' scores: mailtower's verdict before the
// combiner, and still the one of a program that sets none.
type SumCombiner struct{}

// Combine implements Combiner.
func (SumCombiner) Combine(spam []Finding) (float64, []Finding) {
	var s float64
	for _, f := range spam {
		s += f.Score
	}
	return s, spam
}

type combinerBox struct{ c Combiner }

var combiner atomic.Pointer[combinerBox]

// SetCombiner makes c the combiner of every later Decide (the daemon sets
// the learned one at start and when learning changes it); nil restores
// SumCombiner.
func SetCombiner(c Combiner) {
	if c == nil {
		c = SumCombiner{}
	}
	combiner.Store(&combinerBox{c})
}

func currentCombiner() Combiner {
	if b := combiner.Load(); b != nil {
		return b.c
	}
	return SumCombiner{}
}

// Verdict is what the findings mean for one recipient.
type Verdict struct {
	// Category is the winning category, or Clean.
	Category Category `json:"verdict"`
	// Score is the spam score of the findings that apply (Combiner).
	Score float64 `json:"score"`
	// Threshold is the recipient's spam threshold the score was compared with.
	Threshold float64 `json:"threshold"`
	// Findings are those that apply to the recipient, strongest first.
	Findings []Finding `json:"findings"`
}

// Decide computes one recipient's verdict. Virus beats content beats spam;
// spam is the score of the current Combiner compared with threshold. An allow-listed
// sender skips the spam verdict only: viruses and content rules still apply.
func Decide(findings []Finding, recipient string, threshold float64, senderAllowed bool) Verdict {
	v := Verdict{Category: Clean, Threshold: threshold}
	var spam []Finding
	for _, f := range findings {
		if !f.AppliesTo(recipient) {
			continue
		}
		if f.Category == Spam {
			spam = append(spam, f)
			continue
		}
		v.Findings = append(v.Findings, f)
		if f.Category.Rank() > v.Category.Rank() {
			v.Category = f.Category
		}
	}
	if len(spam) > 0 {
		var explained []Finding
		v.Score, explained = currentCombiner().Combine(spam)
		v.Findings = append(v.Findings, explained...)
	}
	if v.Category == Clean && !senderAllowed && v.Score >= threshold {
		v.Category = Spam
	}
	sort.SliceStable(v.Findings, func(i, j int) bool {
		a, b := v.Findings[i], v.Findings[j]
		if a.Category.Rank() != b.Category.Rank() {
			return a.Category.Rank() > b.Category.Rank()
		}
		return a.Score > b.Score
	})
	return v
}

// Reason summarises the verdict for logs and the quarantine: the reasons
// of the findings of the winning category.
func (v Verdict) Reason() string {
	var out string
	for _, f := range v.Findings {
		if f.Category != v.Category {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += f.Reason
	}
	return out
}

// RuleNames lists every rule that fired, sub-rules included, once each.
func (v Verdict) RuleNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, f := range v.Findings {
		add(f.Rule)
		for _, r := range f.Rules {
			add(r)
		}
	}
	return out
}
