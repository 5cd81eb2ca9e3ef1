package clamd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// BenchmarkScan measures a scan against an in-process clamd that discards
// the stream, next to a baseline that writes the same bytes raw over the
// same kind of loopback connection and reads a short reply. The ratio is
// the cost of the adapter (framing, reply parsing); B/op shows that the
// message is streamed, not copied.
func BenchmarkScan(b *testing.B) {
	for _, size := range []int{10 << 10, 5 << 20} {
		raw := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		b.Run(fmt.Sprintf("baseline/%dKiB", size>>10), func(b *testing.B) { socktest.BenchRawCopy(b, raw, "OK\x00") })
		b.Run(fmt.Sprintf("clamd/%dKiB", size>>10), func(b *testing.B) {
			address := listen(b, "tcp", func(c net.Conn) {
				br := bufio.NewReader(c)
				br.ReadString(0)
				for {
					var hdr [4]byte
					if _, err := io.ReadFull(br, hdr[:]); err != nil {
						return
					}
					n := int64(hdr[0])<<24 | int64(hdr[1])<<16 | int64(hdr[2])<<8 | int64(hdr[3])
					if n == 0 {
						break
					}
					io.CopyN(io.Discard, br, n)
				}
				io.WriteString(c, "stream: OK\x00")
			})
			s := newScanner(b, address)
			msg := message(raw)
			socktest.BenchScan(b, s, msg)
		})
	}
}
