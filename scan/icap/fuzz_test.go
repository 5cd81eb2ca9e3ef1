package icap

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseReply feeds arbitrary bytes to the reply parser as the final
// answer to a RESPMOD: it must never panic, never return names with an
// error, never call a message clean unless the server said 204 or 200,
// never clean when a threat header names something, and only return
// printable, bounded names. Seeds: testdata/fuzz/FuzzParseReply.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte(virusPage(true)))
	f.Add([]byte(virusPage(false)))
	f.Add([]byte("ICAP/1.0 204 No Content\r\nISTag: \"x\"\r\n\r\n"))
	f.Add([]byte("ICAP/1.0 500 Server error\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		br := bufio.NewReader(bytes.NewReader(b))
		resp, err := readResponse(br)
		if err != nil {
			return
		}
		names, err := resp.verdict(br)
		if err != nil {
			if names != nil {
				t.Fatalf("names %q with error %v", names, err)
			}
			return
		}
		if resp.status != 200 && resp.status != 204 {
			t.Fatalf("status %d accepted as a verdict", resp.status)
		}
		if len(names) == 0 && len(resp.threats()) > 0 {
			t.Fatalf("clean despite threat headers in %q", b)
		}
		for _, n := range names {
			if n == "" || len(n) > maxNameLen || strings.IndexFunc(n, unicode.IsControl) >= 0 {
				t.Fatalf("bad threat name %q from %q", n, b)
			}
		}
	})
}
