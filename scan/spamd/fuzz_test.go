package spamd

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// FuzzParseReply feeds arbitrary bytes to the reply parser: it must never
// panic, and a reply it accepts must be an EX_OK reply with finite scores
// and well-formed rule names. Seeds: testdata/fuzz/FuzzParseReply.
func FuzzParseReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := parseReply(bytes.NewReader(b))
		if err != nil {
			if rep != nil {
				t.Fatalf("reply %+v with error %v", rep, err)
			}
			return
		}
		status, _, _ := strings.Cut(string(b), "\n")
		if f := strings.Fields(status); len(f) < 2 || !strings.HasPrefix(f[0], "SPAMD/") || f[1] != "0" {
			t.Fatalf("accepted a reply without an EX_OK status: %q", b)
		}
		if math.IsNaN(rep.score) || math.IsInf(rep.score, 0) || math.IsNaN(rep.required) || math.IsInf(rep.required, 0) {
			t.Fatalf("non-finite score from %q", b)
		}
		for _, s := range rep.symbols {
			if !isRuleName(s) || strings.ContainsAny(s, ", \r\n") {
				t.Fatalf("bad rule name %q from %q", s, b)
			}
		}
	})
}
