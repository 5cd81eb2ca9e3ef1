package rules

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// peakHeap samples the live heap while f runs and returns the highest
// value above the heap before it (bytes).
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// benchMessages are the messages of the content-filter benchmarks.
func benchMessages(b *testing.B) []struct {
	name string
	raw  []byte
} {
	text := strings.Repeat("Dear customer, your order has shipped and will arrive soon. ", 30)[:1800]
	var members []zipEntry
	for i := 0; i < 100; i++ {
		members = append(members, zipEntry{name: fmt.Sprintf("docs/file%03d.txt", i), data: randomBytes(7400, int64(i))})
	}
	return []struct {
		name string
		raw  []byte
	}{
		{"text-2KB", message("Your order", text)},
		{"zip100-1MB", message("Documents", "attached", attachment{"docs.zip", "application/zip", makeZip(b, members...)})},
		{"attachment-20MB", message("Backup", "attached", attachment{"backup.bin", "application/octet-stream", randomBytes(20<<20, 1)})},
		{"bomb-10MB-10GB", message("Bomb", "attached", attachment{"bomb.zip", "application/zip", makeBomb(b, 100, 100<<20)})},
		{"pdf-1MB", message("Statement", "attached", attachment{"statement.pdf", "application/pdf", benchPDF(1000)})},
		{"iso-370KB", message("Image", "attached", attachment{"disk.iso", "application/octet-stream", readFixture(b, "exe.iso.gz")})},
		{"7z-300-files", message("Archive", "attached", attachment{"files.7z", "application/x-7z-compressed", readFixture(b, "many.7z")})},
	}
}

// benchPDF builds a PDF of n 1 KB Flate content streams and an object
// stream every 10 objects, as a text-heavy real PDF has.
func benchPDF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	deflate := func(p []byte) []byte {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(p)
		zw.Close()
		return z.Bytes()
	}
	objs := deflate([]byte(strings.Repeat("<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://example.com/) >> >>\n", 50)))
	for i := 1; i <= n; i++ {
		body, typ := deflate(randomBytes(1000, int64(i))), ""
		if i%10 == 0 {
			body, typ = objs, "/Type /ObjStm /N 50 /First 0 "
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< %s/Length %d /Filter /FlateDecode >>\nstream\n", i, typ, len(body))
		b.Write(body)
		b.WriteString("\nendstream\nendobj\n")
	}
	b.WriteString("trailer << /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// BenchmarkContentFilter measures the content filter per message. Each
// message is run twice: "walk" (the MIME walk alone, the baseline) and
// "scan" (walk, file types, archives, rules); the ratio scan/walk is the
// filter's own cost. peak-heap-MB is the live heap above the start during
// one scan; msg-MB the message size.
func BenchmarkContentFilter(b *testing.B) {
	lim := DefaultLimits
	s := newScanner(b, lim, rule("global", settings.BlockFiletype, "exe"), rule("global", settings.BlockFiletype, "executable"),
		rule("example.com", settings.BlockContent, `(?i)\bviagra\b`), rule("global", settings.BlockContent, `(?i)wire\s+transfer\s+urgent`))
	for _, m := range benchMessages(b) {
		env := scan.Envelope{Recipients: []string{"a@example.com", "b@example.com"}}
		b.Run(m.name+"/walk", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := mimewalk.Walk(bytes.NewReader(m.raw), lim.Walk()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(m.name+"/scan", func(b *testing.B) {
			b.ReportAllocs()
			var findings []scan.Finding
			for i := 0; i < b.N; i++ {
				var err error
				findings, err = s.Scan(context.Background(), scan.NewMessage(env, bytes.NewReader(m.raw), int64(len(m.raw))))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			peak := peakHeap(func() {
				s.Scan(context.Background(), scan.NewMessage(env, bytes.NewReader(m.raw), int64(len(m.raw))))
			})
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(len(m.raw))/(1<<20), "msg-MB")
			b.ReportMetric(float64(len(findings)), "findings")
		})
	}
}
