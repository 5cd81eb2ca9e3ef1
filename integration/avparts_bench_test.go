//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/avparts"
	"github.com/mailtower/mailtower/scan/clamd"
)

// BenchmarkDecodedParts measures what scanning the decoded parts costs
// per message against a real clamd (the harness's, one EICAR signature:
// the figures are protocol, walk and clamd's own parsing, not signature
// matching): the raw-only scan and the raw+parts scan of the same message
// alternate in each iteration, and the ratio is reported.
//
//	sudo go test -tags integration -run '^$' -bench DecodedParts -benchtime 300x ./integration/
func BenchmarkDecodedParts(b *testing.B) {
	dir, err := os.MkdirTemp("", "mailtower-bench-clamd-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c, err := startClamd(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	raw, err := clamd.New(clamd.Options{Address: c.Addr(), Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	lim := gateway.Limits(config.Default().Limits)
	parts := avparts.New(raw, lim)

	rng := rand.New(rand.NewSource(1))
	text := func(n int) string {
		words := []string{"invoice", "meeting", "tomorrow", "please", "the", "report", "attached", "thanks", "regards"}
		var s strings.Builder
		for s.Len() < n {
			s.WriteString(words[rng.Intn(len(words))])
			if s.Len()%70 < 8 {
				s.WriteString("\n")
			} else {
				s.WriteString(" ")
			}
		}
		return s.String()
	}
	bin := func(n int) string {
		p := make([]byte, n)
		rng.Read(p)
		return base64.StdEncoding.EncodeToString(p)
	}
	head := "From: <alice@sender.example>\nTo: <bob@clean.test>\nSubject: report\nMIME-Version: 1.0\n"
	attachments := head + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n" + text(2000) +
		"\n--b1\nContent-Type: application/pdf; name=\"report.pdf\"\nContent-Transfer-Encoding: base64\n\n" + bin(100<<10) +
		"\n--b1\nContent-Type: image/png; name=\"chart.png\"\nContent-Transfer-Encoding: base64\n\n" + bin(50<<10) +
		"\n--b1\nContent-Type: application/octet-stream; name=\"data.bin\"\nContent-Transfer-Encoding: base64\n\n" + bin(20<<10) +
		"\n--b1--\n"
	// Formats mailtower opens (issue 14 item 5): a 7z of 10 text files, the
	// test ISO image (2 files), a PDF with an attached file.
	files := map[string]string{}
	for i := 0; i < 10; i++ {
		files[fmt.Sprintf("minutes%02d.txt", i)] = text(3000)
	}
	attach := func(name string, data []byte) string {
		return head + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n" + text(2000) +
			"\n--b1\nContent-Type: application/octet-stream; name=\"" + name + "\"\nContent-Transfer-Encoding: base64\n\n" +
			base64.StdEncoding.EncodeToString(data) + "\n--b1--\n"
	}
	for _, m := range []struct{ name, raw string }{
		{"plain-10KB", head + "Content-Type: text/plain\n\n" + text(10<<10)},
		{"3-attachments-170KB", attachments},
		{"7z-10-members", attach("minutes.7z", sevenZip(b, files))},
		{"iso-2-members", attach("disk.iso", formatFixture(b, "exe.iso.gz"))},
		{"pdf-1-attached", attach("report.pdf", formatFixture(b, "attach.pdf"))},
	} {
		data := []byte(strings.ReplaceAll(m.raw, "\n", "\r\n"))
		b.Run(m.name, func(b *testing.B) {
			var tRaw, tParts time.Duration
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				// A fresh Message each time: the walk is cached per message.
				for _, s := range []struct {
					sc scan.Scanner
					t  *time.Duration
				}{{raw, &tRaw}, {parts, &tParts}} {
					msg := scan.NewMessage(scan.Envelope{}, bytes.NewReader(data), int64(len(data)))
					start := time.Now()
					if _, err := s.sc.Scan(ctx, msg); err != nil {
						b.Fatal(err)
					}
					*s.t += time.Since(start)
				}
			}
			b.ReportMetric(float64(tRaw.Microseconds())/float64(b.N), "raw-µs/msg")
			b.ReportMetric(float64(tParts.Microseconds())/float64(b.N), "parts-µs/msg")
			b.ReportMetric(float64(tParts)/float64(tRaw), "ratio")
			b.Logf("%s (%d bytes): raw %s/msg, raw+parts %s/msg, ratio %.2f", m.name, len(data),
				fmt.Sprint(tRaw/time.Duration(b.N)), fmt.Sprint(tParts/time.Duration(b.N)), float64(tParts)/float64(tRaw))
		})
	}
}
