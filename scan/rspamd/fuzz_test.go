package rspamd

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseReply feeds arbitrary bytes to the /checkv2 reply parser: it
// must never panic, and a reply it accepts must give a finite score (at
// least the required score on reject) and clean symbol names.
// Seeds: testdata/fuzz/FuzzParseReply.
func FuzzParseReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := parseReply(b)
		if err != nil {
			if res != nil {
				t.Fatalf("result %+v with error %v", res, err)
			}
			return
		}
		if math.IsNaN(res.score) || math.IsInf(res.score, 0) || math.IsNaN(res.required) || math.IsInf(res.required, 0) {
			t.Fatalf("non-finite score from %q", b)
		}
		if res.action == "reject" && res.score < res.required {
			t.Fatalf("reject scored %v below %v from %q", res.score, res.required, b)
		}
		for _, r := range res.rules {
			if !printable(r) || strings.ContainsAny(r, " ,\r\n") {
				t.Fatalf("bad rule %q from %q", r, b)
			}
		}
		f := res.finding()
		if f.Score != res.score || !printable(f.Reason) {
			t.Fatalf("finding %+v from %q", f, b)
		}
	})
}
