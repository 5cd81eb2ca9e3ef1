package scan

import (
	"sort"
)

// Verdict is what the findings mean for one recipient.
type Verdict struct {
	// Category is the winning category, or Clean.
	Category Category `json:"verdict"`
	// Score is the summed spam score of the findings that apply.
	Score float64 `json:"score"`
	// Threshold is the recipient's spam threshold the score was compared with.
	Threshold float64 `json:"threshold"`
	// Findings are those that apply to the recipient, strongest first.
	Findings []Finding `json:"findings"`
}

// Decide computes one recipient's verdict. Virus beats content beats spam;
// spam is the summed score compared with threshold. An allow-listed
// sender skips the spam verdict only: viruses and content rules still apply.
func Decide(findings []Finding, recipient string, threshold float64, senderAllowed bool) Verdict {
	v := Verdict{Category: Clean, Threshold: threshold}
	for _, f := range findings {
		if !f.AppliesTo(recipient) {
			continue
		}
		v.Findings = append(v.Findings, f)
		if f.Category == Spam {
			v.Score += f.Score
			continue
		}
		if f.Category.Rank() > v.Category.Rank() {
			v.Category = f.Category
		}
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
