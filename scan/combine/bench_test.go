package combine

import (
	"testing"

	"github.com/mailtower/mailtower/scan"
)

func BenchmarkCombine(b *testing.B) {
	m := DefaultModel()
	in := []scan.Finding{bayesProb(0.97), heur("SUBJECT_ALL_CAPS"), heur("HTML_ONLY"), heur("MISSING_MID"),
		{Scanner: "spamd", Category: scan.Spam, Rule: "SPAMASSASSIN", Score: 3.2, Value: 3.2}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.Combine(in)
	}
}
