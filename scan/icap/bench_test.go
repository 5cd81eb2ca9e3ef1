package icap

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// BenchmarkScan measures a scan against the in-process ICAP server (which
// reads the preview, continues, and answers 204), next to a baseline that
// writes the same bytes raw over the same kind of loopback connection. The
// ratio is the cost of the adapter (chunking, preview round trip, reply
// parsing); B/op shows that the message is streamed, not copied.
func BenchmarkScan(b *testing.B) {
	for _, size := range []int{10 << 10, 5 << 20} {
		raw := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		b.Run(fmt.Sprintf("baseline/%dKiB", size>>10), func(b *testing.B) {
			socktest.BenchRawCopy(b, raw, "ICAP/1.0 204 No Content\r\n\r\n")
		})
		b.Run(fmt.Sprintf("icap/%dKiB", size>>10), func(b *testing.B) {
			f := newFake(b, func([]byte) string { return "ICAP/1.0 204 No Content\r\n\r\n" })
			f.discard = true
			socktest.BenchScan(b, newScanner(b, f.addr(), time.Minute), message(raw))
		})
	}
}
