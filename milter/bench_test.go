package milter

import (
	"bytes"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d--j/go-milter"
)

// BenchmarkMilter drives the real milter server through go-milter's client,
// as Postfix would: one session per message, header fields, body chunks,
// end of message, modifications read back. It reports latency p50/p99 per
// message, messages/s and the peak heap while the messages are handled.
//
// "builtin" runs mailtower's built-in engines as `serve` does without
// external daemons (content filter with a file-type and a content rule,
// heuristics, and the learning classifier trained on a few messages);
// "baseline" runs the same path with one trivial engine that only reads
// the message, so the ratio builtin/baseline is the built-in engines' cost.
func BenchmarkMilter(b *testing.B) {
	for _, engines := range []string{"baseline", "builtin"} {
		for _, size := range []int{2 << 10, 10 << 10, 50 << 10, 5 << 20, 20 << 20} {
			b.Run(fmt.Sprintf("%s/%dKB", engines, size>>10), func(b *testing.B) { benchMilter(b, engines, size) })
		}
	}
}

func benchMilter(b *testing.B, engines string, size int) {
	f := newFixture(b)
	if engines == "builtin" {
		useBuiltinEngines(b, f)
	}
	srv, err := Listen(f.filter, ServerOptions{Network: "tcp", Address: "127.0.0.1:0",
		MaxMemory: 200 << 10, MaxBody: 1 << 30, MaxHeaders: 1000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	client := milter.NewClient("tcp", srv.Addr(),
		milter.WithActions(milter.AllClientSupportedActionMasks))
	// The body is generated chunk by chunk into one reused buffer, so the
	// client holds no copy of the message and the peak heap is the server's.
	var peak atomic.Uint64
	stop := samplePeakHeap(&peak)
	lat := make([]time.Duration, 0, b.N)
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := oneMessage(client, size); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}

// chunk is one body chunk of text lines (the milter protocol's largest).
var chunk = func() []byte {
	var buf bytes.Buffer
	line := "The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
	for buf.Len() < 65535 {
		buf.WriteString(line)
	}
	return buf.Bytes()[:65535]
}()

func oneMessage(client *milter.Client, size int) error {
	s, err := client.Session(milter.NewMacroBag())
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Conn("client.example", milter.FamilyInet, 25, "192.0.2.1"); err != nil {
		return err
	}
	if _, err := s.Helo("client.example"); err != nil {
		return err
	}
	if _, err := s.Mail("<sender@example.org>", ""); err != nil {
		return err
	}
	if _, err := s.Rcpt("<bob@pass.test>", ""); err != nil {
		return err
	}
	if _, err := s.DataStart(); err != nil {
		return err
	}
	for _, h := range [][2]string{{"From", " sender@example.org"}, {"To", " bob@pass.test"}, {"Subject", " benchmark"},
		{"Date", " Sun, 22 Nov 2026 06:00:00 +0000"}, {"Message-ID", " <bench@example.org>"}} {
		if _, err := s.HeaderField(h[0], h[1], nil); err != nil {
			return err
		}
	}
	if _, err := s.HeaderEnd(); err != nil {
		return err
	}
	for sent := 0; sent < size; sent += len(chunk) {
		if _, err := s.BodyChunk(chunk[:min(len(chunk), size-sent)]); err != nil {
			return err
		}
	}
	mods, act, err := s.End()
	if err != nil {
		return err
	}
	if act.Type != milter.ActionAccept && act.Type != milter.ActionContinue {
		return fmt.Errorf("unexpected action %v %q", act.Type, act.SMTPReply)
	}
	for _, m := range mods {
		if m.Type == milter.ActionDelRcpt || strings.Contains(string(m.HeaderValue), "SPAM") {
			return fmt.Errorf("clean message modified: %+v", m)
		}
	}
	return nil
}

// samplePeakHeap records the largest live heap until stop is called.
func samplePeakHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	return func() { close(done) }
}
