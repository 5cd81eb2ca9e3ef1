package mlog

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// maxPending is how many bytes of lines wait at most before a write.
const maxPending = 64 << 10

// Buffered collects log lines and writes them to the underlying writer
// in batches: every interval, when maxPending bytes wait, at Flush and at
// Close. A daemon that logs a line per decision (the policy daemon at
// tens of thousands a second) then makes one write — and under systemd
// one journald wake-up — per batch instead of one per line. Warnings and
// errors are written at once (NewDaemon). A crash loses at most the
// last interval of info lines; the runtime's own panic output is not
// buffered.
type Buffered struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error // the last write error, reported by Flush
	stop chan struct{}
	done chan struct{}
}

// NewBuffered starts a Buffered writer over w; Close it to stop.
func NewBuffered(w io.Writer, interval time.Duration) *Buffered {
	b := &Buffered{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(interval)
	return b
}

func (b *Buffered) run(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Write queues p (one log line from a slog handler); it never fails.
func (b *Buffered) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= maxPending {
		b.flushLocked()
	}
	return len(p), nil
}

// Flush writes what waits and returns the last write error, if any.
func (b *Buffered) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	err := b.err
	b.err = nil
	return err
}

func (b *Buffered) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil {
		b.err = err // a log line that cannot be written is dropped, like stderr's
	}
	if cap(b.buf) > 4*maxPending {
		b.buf = nil // after a burst, do not keep the large buffer
	} else {
		b.buf = b.buf[:0]
	}
}

// Close stops the periodic writes and writes what waits.
func (b *Buffered) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// urgent writes a record of level Warn or above at once.
type urgent struct {
	slog.Handler
	b *Buffered
}

func (u urgent) Handle(ctx context.Context, r slog.Record) error {
	err := u.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		u.b.Flush()
	}
	return err
}

func (u urgent) WithAttrs(as []slog.Attr) slog.Handler { return urgent{u.Handler.WithAttrs(as), u.b} }
func (u urgent) WithGroup(name string) slog.Handler    { return urgent{u.Handler.WithGroup(name), u.b} }

// NewDaemon returns a logger like New that writes to w through a
// Buffered writer (flushed every 100 ms, and at once for warnings and
// errors), and the function that writes what is left; call it before
// the process exits.
func NewDaemon(w io.Writer, level, format string) (*slog.Logger, func()) {
	log, b := newDaemon(w, level, format, 100*time.Millisecond)
	return log, func() { b.Close() }
}

func newDaemon(w io.Writer, level, format string, interval time.Duration) (*slog.Logger, *Buffered) {
	b := NewBuffered(w, interval)
	return slog.New(urgent{New(b, level, format).Handler(), b}), b
}
