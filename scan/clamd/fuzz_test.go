package clamd

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzParseReply feeds arbitrary bytes to the reply parser: it must never
// panic, and it may call a message clean only when clamd said exactly OK.
// Seeds: testdata/fuzz/FuzzParseReply.
func FuzzParseReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		names, err := parseReply(b)
		if err != nil {
			if names != nil {
				t.Fatalf("names %q with error %v", names, err)
			}
			return
		}
		if len(names) == 0 && strings.TrimRight(strings.TrimSuffix(string(b), "\x00"), "\r\n") != "stream: OK" {
			t.Fatalf("clean result for %q", b)
		}
		for _, n := range names {
			if n == "" || len(n) > maxNameLen || strings.IndexFunc(n, unicode.IsControl) >= 0 {
				t.Fatalf("bad virus name %q from %q", n, b)
			}
		}
	})
}
