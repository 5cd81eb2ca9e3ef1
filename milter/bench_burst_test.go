package milter

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d--j/go-milter"
)

// BenchmarkBurst sends 50 messages of 20 MB (a base64 attachment, so
// the engines' MIME walks decode it) through the real milter listener at
// once, with mailtower's built-in engines, and reports the process's peak
// resident memory (VmHWM, reset through /proc/self/clear_refs before each
// phase) for three phases of the same run:
//
//   - one: a single message alone, the baseline;
//   - unbounded: 50 at once with max_scans 50 (as before the bound);
//   - bounded: 50 at once with the default max_scans (DefaultMaxScans) and
//     a max_scan_wait long enough that every message is scanned.
//
// The figures are reported in MB and as ratios to the baseline; nothing
// fails on time or memory. Run it alone, it takes minutes:
//
//	go test -run XXX -bench Burst -benchtime 1x ./milter
func BenchmarkBurst(b *testing.B) {
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		b.Skip("needs Linux /proc/self/clear_refs to reset the peak RSS")
	}
	const n, size = 50, 20 << 20
	spoolDir := b.TempDir()
	b.Setenv("TMPDIR", os.Getenv("TMPDIR"))
	if _, err := PrepareSpool(spoolDir); err != nil {
		b.Fatal(err)
	}
	f := newFixture(b)
	useBuiltinEngines(b, f)
	rt := *f.filter.rt.Load()
	rt.SpoolDir, rt.Timeout = spoolDir, 30*time.Minute
	f.filter.Reload(&rt)
	for i := 0; i < b.N; i++ {
		one := burst(b, f, 1, size, 1)
		unbounded := burst(b, f, n, size, n)
		bounded := burst(b, f, n, size, 0)
		b.ReportMetric(one.rssMB, "one-peak-RSS-MB")
		b.ReportMetric(unbounded.rssMB, "unbounded-peak-RSS-MB")
		b.ReportMetric(bounded.rssMB, "bounded-peak-RSS-MB")
		b.ReportMetric(unbounded.rssMB/one.rssMB, "unbounded/one")
		b.ReportMetric(bounded.rssMB/one.rssMB, "bounded/one")
		b.ReportMetric(unbounded.secs, "unbounded-s")
		b.ReportMetric(bounded.secs, "bounded-s")
		b.Logf("max_scans %d (GOMAXPROCS %d): one %.0f MB; %d x %d MB unbounded %.0f MB (%.1fx) in %.0fs; bounded %.0f MB (%.1fx) in %.0fs",
			DefaultMaxScans(), runtime.GOMAXPROCS(0), one.rssMB, n, size>>20, unbounded.rssMB, unbounded.rssMB/one.rssMB,
			unbounded.secs, bounded.rssMB, bounded.rssMB/one.rssMB, bounded.secs)
	}
}

type burstResult struct{ rssMB, secs float64 }

// burst sends n messages at once through a listener with maxScans slots.
func burst(b *testing.B, f *fixture, n, size, maxScans int) burstResult {
	srv, err := Listen(f.filter, ServerOptions{Network: "tcp", Address: "127.0.0.1:0", MaxMemory: 1 << 20,
		MaxBody: 1 << 30, MaxHeaders: 1000, MaxScans: maxScans, MaxScanWait: 30 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	client := milter.NewClient("tcp", srv.Addr(), milter.WithActions(milter.AllClientSupportedActionMasks))
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- mimeMessage(client, size) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return burstResult{rssMB: peakRSSMB(b), secs: time.Since(start).Seconds()}
}

// peakRSSMB reads VmHWM from /proc/self/status.
func peakRSSMB(b *testing.B) float64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// b64Chunk is whole base64 lines of random bytes, one milter body chunk.
var b64Chunk = func() []byte {
	raw := make([]byte, 57*840)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	for i := 0; i < len(raw); i += 57 {
		buf.WriteString(base64.StdEncoding.EncodeToString(raw[i:i+57]) + "\r\n")
	}
	return buf.Bytes() // 840 lines of 78 bytes: 65520
}()

// mimeMessage sends one multipart message of about size bytes whose
// attachment is base64, chunk by chunk from shared buffers (the client
// holds no copy).
func mimeMessage(client *milter.Client, size int) error {
	s, err := client.Session(milter.NewMacroBag())
	if err != nil {
		return err
	}
	defer s.Close()
	for _, step := range []func() (*milter.Action, error){
		func() (*milter.Action, error) { return s.Conn("client.example", milter.FamilyInet, 25, "192.0.2.1") },
		func() (*milter.Action, error) { return s.Helo("client.example") },
		func() (*milter.Action, error) { return s.Mail("<sender@example.org>", "") },
		func() (*milter.Action, error) { return s.Rcpt("<bob@pass.test>", "") },
		func() (*milter.Action, error) { return s.DataStart() },
	} {
		if _, err := step(); err != nil {
			return err
		}
	}
	for _, h := range [][2]string{{"From", " sender@example.org"}, {"To", " bob@pass.test"}, {"Subject", " the report"},
		{"MIME-Version", " 1.0"}, {"Content-Type", ` multipart/mixed; boundary="b1"`}} {
		if _, err := s.HeaderField(h[0], h[1], nil); err != nil {
			return err
		}
	}
	if _, err := s.HeaderEnd(); err != nil {
		return err
	}
	head := "--b1\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n--b1\r\n" +
		"Content-Type: application/octet-stream; name=\"report.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	if _, err := s.BodyChunk([]byte(head)); err != nil {
		return err
	}
	for sent := len(head); sent < size; sent += len(b64Chunk) {
		if _, err := s.BodyChunk(b64Chunk); err != nil {
			return err
		}
	}
	if _, err := s.BodyChunk([]byte("--b1--\r\n")); err != nil {
		return err
	}
	_, act, err := s.End()
	if err != nil {
		return err
	}
	if act.Type != milter.ActionAccept && act.Type != milter.ActionContinue {
		return fmt.Errorf("unexpected action %v %q", act.Type, act.SMTPReply)
	}
	return nil
}
