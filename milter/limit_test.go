package milter

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d--j/go-milter"
	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/scan"
)

// gateScanner blocks every scan until open is closed, and reports each
// scan that started on started. seen records the spool directory's
// go-milter body files while a scan runs.
type gateScanner struct {
	open    chan struct{}
	started chan struct{}
	dir     string
	seen    atomic.Int32
}

func (g *gateScanner) Name() string { return "gate" }
func (g *gateScanner) Scan(ctx context.Context, _ *scan.Message) ([]scan.Finding, error) {
	if g.dir != "" {
		entries, _ := os.ReadDir(g.dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "body-") {
				g.seen.Add(1)
			}
		}
	}
	g.started <- struct{}{}
	select {
	case <-g.open:
	case <-ctx.Done():
	}
	return nil, nil
}

func TestScanLimiterBoundsConcurrentDecisions(t *testing.T) {
	var refused, waiting, peakWaiting atomic.Int32
	lim := newScanLimiter(2, 200*time.Millisecond, slog.New(slog.DiscardHandler),
		func() { refused.Add(1) },
		func(d int) {
			if n := waiting.Add(int32(d)); n > peakWaiting.Load() {
				peakWaiting.Store(n)
			}
		})
	release := make(chan struct{})
	var running, peak atomic.Int32
	decide := lim.wrap(func(context.Context, mailfilter.Trx) (mailfilter.Decision, error) {
		if n := running.Add(1); n > peak.Load() {
			peak.Store(n)
		}
		<-release
		running.Add(-1)
		return mailfilter.Accept, nil
	})
	trx := newTrx("From: a@example.org\r\n", "hi\r\n", "bob@q.test")
	var wg sync.WaitGroup
	results := make(chan mailfilter.Decision, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, _ := decide(context.Background(), trx)
			results <- d
		}()
	}
	// Three of five find every slot taken, wait 200 ms and are refused.
	for range 3 {
		if d := <-results; d != busy {
			t.Fatalf("decision beyond the bound: %v, want 451 busy", d)
		}
	}
	close(release)
	wg.Wait()
	close(results)
	for d := range results {
		if d != mailfilter.Accept {
			t.Fatalf("decision within the bound: %v", d)
		}
	}
	if peak.Load() != 2 || refused.Load() != 3 || peakWaiting.Load() != 3 || waiting.Load() != 0 {
		t.Fatalf("peak running %d (want 2), refused %d (3), peak waiting %d (3), waiting now %d (0)",
			peak.Load(), refused.Load(), peakWaiting.Load(), waiting.Load())
	}
	if got := newScanLimiter(0, 0, nil, nil, nil); cap(got.slots) != DefaultMaxScans() || DefaultMaxScans() < 4 {
		t.Fatalf("max_scans 0: %d slots, want DefaultMaxScans %d (at least 4)", cap(got.slots), DefaultMaxScans())
	}
}

// TestServerSpoolsAndBounds drives the real listener: go-milter spools a
// large body into mailtower's spool directory (not /tmp), and with
// max_scans 1 a second concurrent message is tempfailed instead of
// scanned alongside the first.
func TestServerSpoolsAndBounds(t *testing.T) {
	spool := t.TempDir()
	os.WriteFile(filepath.Join(spool, "body-123"), []byte("left by a crash"), 0o600)
	os.WriteFile(filepath.Join(spool, "keep"), []byte("not ours"), 0o600)
	t.Setenv("TMPDIR", os.Getenv("TMPDIR")) // restored after the test
	if n, err := PrepareSpool(spool); err != nil || n != 1 {
		t.Fatalf("PrepareSpool: removed %d, %v; want the one leftover", n, err)
	}
	if _, err := os.Stat(filepath.Join(spool, "keep")); err != nil {
		t.Fatal("PrepareSpool removed a file that is not a spool file")
	}
	f := newFixture(t)
	gate := &gateScanner{open: make(chan struct{}), started: make(chan struct{}, 2), dir: spool}
	rt := *f.filter.rt.Load()
	rt.Engines = []scan.Engine{{Scanner: gate}}
	f.filter.Reload(&rt)
	var refused atomic.Int32
	srv, err := Listen(f.filter, ServerOptions{Network: "tcp", Address: "127.0.0.1:0", MaxMemory: 4 << 10,
		MaxBody: 1 << 30, MaxHeaders: 1000, MaxScans: 1, MaxScanWait: 0, Refused: func() { refused.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	client := milter.NewClient("tcp", srv.Addr(), milter.WithActions(milter.AllClientSupportedActionMasks))
	first := make(chan error, 1)
	go func() { first <- oneMessage(client, 100<<10) }()
	<-gate.started // the first message holds the only slot
	err = oneMessage(client, 1000)
	if err == nil || !strings.Contains(err.Error(), "451 4.3.2") {
		t.Fatalf("second concurrent message: %v, want 451 4.3.2 busy", err)
	}
	close(gate.open)
	if err := <-first; err != nil {
		t.Fatalf("first message: %v", err)
	}
	if refused.Load() != 1 {
		t.Errorf("refused counted %d times, want 1", refused.Load())
	}
	if gate.seen.Load() != 1 {
		t.Errorf("go-milter's body file not in the spool directory while scanning (%d seen)", gate.seen.Load())
	}
	if entries, _ := os.ReadDir(spool); len(entries) != 1 {
		t.Errorf("spool directory after the messages: %d entries, want only the foreign file", len(entries))
	}
}
