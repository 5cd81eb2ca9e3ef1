package milter

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
)

func TestDecisionBudget(t *testing.T) {
	start := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ total, scan time.Duration }{
		{120 * time.Second, 90 * time.Second},  // default: 30 s kept for quarantine and re-injection
		{600 * time.Second, 570 * time.Second}, // the reserve is capped at 30 s
		{20 * time.Second, 15 * time.Second},   // a quarter of short deadlines
		{400 * time.Millisecond, 300 * time.Millisecond},
	} {
		scanEnd, end := decisionBudget(start, tc.total)
		if end != start.Add(tc.total) || scanEnd != start.Add(tc.scan) {
			t.Errorf("timeout %s: scan until +%s, all until +%s; want +%s and +%s",
				tc.total, scanEnd.Sub(start), end.Sub(start), tc.scan, tc.total)
		}
	}
}

// deadlineRecorder records the deadline of the context it is called with
// and blocks until that context ends (or a bound passes: on code without
// a decision deadline the test then fails instead of hanging).
// slack allows for the moment between the test's clock reading and
// Decide's; far less than the differences asserted.
const slack = 100 * time.Millisecond

type deadlineRecorder struct {
	mu       sync.Mutex
	deadline time.Time
	had      bool
}

func (d *deadlineRecorder) wait(ctx context.Context) error {
	dl, ok := ctx.Deadline()
	d.mu.Lock()
	d.deadline, d.had = dl, ok
	d.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(3 * time.Second):
		return nil
	}
}

func (d *deadlineRecorder) Send(ctx context.Context, _ string, _ []string, msg io.Reader) error {
	io.Copy(io.Discard, msg)
	return d.wait(ctx)
}

type slowScanner struct{ *deadlineRecorder }

func (slowScanner) Name() string { return "slow" }
func (s slowScanner) Scan(ctx context.Context, _ *scan.Message) ([]scan.Finding, error) {
	return nil, s.wait(ctx)
}

// TestDeadlineBoundsReinjection: re-injecting a differently treated copy
// runs under the decision's deadline. Before, it had only its own
// 2-minute limit per copy, so a slow Postfix listener kept the decision
// going past Postfix's milter_content_timeout.
func TestDeadlineBoundsReinjection(t *testing.T) {
	f := newFixture(t)
	rec := &deadlineRecorder{}
	rt := *f.filter.rt.Load()
	rt.Reinject, rt.Timeout = rec, 500*time.Millisecond
	f.filter.Reload(&rt)
	start := time.Now()
	// Spam to a tagging and a passing domain: two treatments, one copy re-injected.
	d, err := f.filter.Decide(context.Background(), newTrx("From: a@example.org\r\nSubject: x\r\n", "SPAMMY\r\n",
		"bob@tag.test", "carol@pass.test"))
	if err != nil || d != tempFail {
		t.Fatalf("decision %v %v, want tempfail when re-injection outlives the deadline", d, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.had || rec.deadline.After(start.Add(rt.Timeout+slack)) {
		t.Fatalf("re-injection deadline %v (set %v), want by start+%s", rec.deadline, rec.had, rt.Timeout)
	}
}

// TestScanLeavesTimeForTheRest: a scan that runs to its limit ends a
// quarter before the decision deadline, so quarantining and re-injecting
// still fit in it.
func TestScanLeavesTimeForTheRest(t *testing.T) {
	f := newFixture(t)
	rec := &deadlineRecorder{}
	rt := *f.filter.rt.Load()
	rt.Engines, rt.Timeout = []scan.Engine{{Scanner: slowScanner{rec}}}, 2*time.Second
	f.filter.Reload(&rt)
	start := time.Now()
	d, _ := f.filter.Decide(context.Background(), newTrx("From: a@example.org\r\n", "hi\r\n", "bob@q.test"))
	if d != tempFail {
		t.Fatalf("decision %v, want tempfail after a scan timeout", d)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if latest := start.Add(rt.Timeout*3/4 + slack); !rec.had || rec.deadline.After(latest) {
		t.Fatalf("scan deadline %v, want by %v (a quarter of %s kept back)", rec.deadline, latest, rt.Timeout)
	}
}
