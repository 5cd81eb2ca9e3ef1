package rspamd

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// BenchmarkScan measures a scan against an in-process HTTP server that
// discards the message, next to a baseline that writes the same bytes raw
// over a loopback connection and reads a short reply: the ratio is the
// cost of HTTP and JSON; B/op shows that the message is streamed.
func BenchmarkScan(b *testing.B) {
	for _, size := range []int{10 << 10, 5 << 20} {
		raw := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		b.Run(fmt.Sprintf("baseline/%dKiB", size>>10), func(b *testing.B) { socktest.BenchRawCopy(b, raw, gtubeReply) })
		b.Run(fmt.Sprintf("rspamd/%dKiB", size>>10), func(b *testing.B) {
			f := startDiscard(b)
			s := newScanner(b, f, time.Minute)
			msg := message(scan.Envelope{QueueID: "4AbC1", Recipients: []string{"b@example.com"}}, raw)
			socktest.BenchScan(b, s, msg)
		})
	}
}

// startDiscard serves /checkv2 without keeping the message.
func startDiscard(b *testing.B) string {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, gtubeReply)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
