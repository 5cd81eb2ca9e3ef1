package spamd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// BenchmarkScan measures a scan against an in-process spamd that discards
// the message, next to a baseline that writes the same bytes raw over a
// loopback connection and reads a short reply. B/op shows that the
// message is streamed, not copied.
func BenchmarkScan(b *testing.B) {
	for _, size := range []int{10 << 10, 5 << 20} {
		raw := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		b.Run(fmt.Sprintf("baseline/%dKiB", size>>10), func(b *testing.B) { socktest.BenchRawCopy(b, raw, gtubeReply) })
		b.Run(fmt.Sprintf("spamd/%dKiB", size>>10), func(b *testing.B) {
			address := socktest.Serve(b, "tcp", func(c net.Conn) {
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.Copy(io.Discard, br) // up to the client's half-close
				io.WriteString(c, gtubeReply)
			})
			s, err := New(Options{Address: address})
			if err != nil {
				b.Fatal(err)
			}
			msg := message(raw)
			socktest.BenchScan(b, s, msg)
		})
	}
}
