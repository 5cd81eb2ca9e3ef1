package rules

import (
	"fmt"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
)

// RuleNote is the Rule of the finding that lists cosmetic MIME defects.
const RuleNote = "MIME_NOTE"

// maxNotes bounds the notes listed in one finding (and so in the
// X-Mailtower-Rules header).
const maxNotes = 8

// notes summarises the problems that are not malformed in one finding
// that changes no verdict: category spam with score 0, so that it is
// listed in X-Mailtower-Rules, the log and the quarantine like any
// finding, but neither adds to the spam score nor makes mail content.
func notes(m *mimewalk.Message, archive []string) (scan.Finding, bool) {
	seen := map[string]bool{}
	var reasons []string
	add := func(r string) {
		if !seen[r] && len(reasons) < maxNotes {
			seen[r] = true
			reasons = append(reasons, r)
		}
	}
	for _, p := range m.Problems {
		if !p.Malformed {
			add(p.Reason)
		}
	}
	for _, r := range archive {
		add(r)
	}
	if len(reasons) == 0 {
		return scan.Finding{}, false
	}
	reason := summarize("MIME note (no verdict): ", reasons, "notes")
	return scan.Finding{Scanner: Name, Category: scan.Spam, Rule: RuleNote, Reason: reason, Rules: reasons}, true
}

// summarize is prefix, the first reason, and how many more there are.
func summarize(prefix string, reasons []string, what string) string {
	s := prefix + reasons[0]
	if len(reasons) > 1 {
		s += fmt.Sprintf(" (and %d more %s)", len(reasons)-1, what)
	}
	return s
}
