//go:build integration && load

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/history/maillog"
)

// logProbe compares the rate Postfix writes its log at with the rate the
// mail history's follower (inside mailtower serve) reads it: the lines in
// the file against the lines before the follower's stored position.
type logProbe struct {
	path string
	sink maillog.Sink
}

// newLogProbe reads the follower's position from mailtower's database
// (SQLite in WAL mode, or PostgreSQL: a second reader does not disturb
// serve).
func newLogProbe(t *testing.T, e *Env) *logProbe {
	t.Helper()
	h, err := history.Open(context.Background(), e.openDB(t))
	if err != nil {
		t.Fatal(err)
	}
	return &logProbe{path: e.Postfix.Log, sink: h.LogSink(e.Postfix.Log, nil)}
}

// sample returns the lines Postfix has written and those the follower
// has committed.
func (p *logProbe) sample() (written, read int) {
	b, err := os.ReadFile(p.path)
	if err != nil {
		return 0, 0
	}
	pos, ok, err := p.sink.Position(context.Background())
	if err != nil || !ok {
		return bytes.Count(b, []byte{'\n'}), 0
	}
	return bytes.Count(b, []byte{'\n'}), bytes.Count(b[:min(pos.Offset, int64(len(b)))], []byte{'\n'})
}

// logRates is one phase's log: lines Postfix wrote while the phase ran
// and how long the follower took to have them all.
type logRates struct {
	lines          int
	written, taken time.Duration // phase run time; until the follower had every line
}

func (r *logRates) add(o logRates) {
	r.lines += o.lines
	r.written += o.written
	r.taken += o.taken
}

// line prints Postfix's rate, the follower's, their ratio and the
// follower's lag behind the end of the phase.
func (r logRates) line() string {
	pf, fo := float64(r.lines)/r.written.Seconds(), float64(r.lines)/r.taken.Seconds()
	return fmt.Sprintf("log: Postfix wrote %d lines at %.0f lines/s; the history follower read them at %.0f lines/s "+
		"(ratio follower/Postfix %.2f, behind by %s at the end)", r.lines, pf, fo, fo/pf, (r.taken - r.written).Round(time.Millisecond))
}

// measureLog runs phase and returns the log's rates: from the phase's
// start (the follower caught up first) to its end, and to the moment the
// follower's position passed the last line written in the phase.
func (p *logProbe) measureLog(t *testing.T, phase func()) logRates {
	t.Helper()
	p.catchUp(t, 0)
	w0, _ := p.sample()
	start := time.Now()
	phase()
	written := time.Since(start)
	w1, _ := p.sample()
	p.catchUp(t, w1)
	return logRates{lines: w1 - w0, written: written, taken: time.Since(start)}
}

// catchUp waits until the follower has read at least lines lines (0: all
// written so far).
func (p *logProbe) catchUp(t *testing.T, lines int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		w, r := p.sample()
		if lines == 0 {
			lines = w
		}
		if r >= lines {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history follower read %d of %d lines of %s", r, lines, p.path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
