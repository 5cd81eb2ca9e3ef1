package maillog

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // golden time stamps do not depend on the machine's zone
	os.Exit(m.Run())
}

// memSink is a Sink in memory: a commit stores events and position
// together, like the database transaction. failAfter > 0 makes the
// commit after that many fail ("crash" before the commit).
type memSink struct {
	mu        sync.Mutex
	pos       Position
	has       bool
	seen      map[string]int // queue id -> deliveries committed
	commits   int
	failAfter int
}

var errCrash = errors.New("crash")

func (s *memSink) Position(context.Context) (Position, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos, s.has, nil
}

func (s *memSink) Commit(_ context.Context, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits++
	if s.failAfter > 0 && s.commits > s.failAfter {
		s.failAfter = 0
		return errCrash
	}
	for _, ev := range b.Events {
		s.seen[ev.QueueID]++
	}
	s.pos, s.has = b.Pos, true
	return nil
}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// logLine is line i of the test log: one delivery with its own queue id.
func logLine(i int) string {
	return fmt.Sprintf("Dec 05 10:00:00 gw postfix/smtp[1]: Q%08dX: to=<u%d@customer.example>, relay=127.0.0.1[127.0.0.1]:25, "+
		"delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as R%d)\n", i, i, i)
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := from; i < to; i++ {
		if _, err := f.WriteString(logLine(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func gzipFile(t *testing.T, path string) {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	out.Close()
	in.Close()
	os.Remove(path)
}

// run starts a follower on path; stop cancels it and waits.
func run(t *testing.T, path string, s *memSink) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Follower{Path: path, Sink: s, Poll: 5 * time.Millisecond, BatchLines: 7}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	return func() error { cancel(); return <-done }
}

func waitCount(t *testing.T, s *memSink, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("follower saw %d queue ids, want %d", s.count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func checkOnce(t *testing.T, s *memSink, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) != n {
		t.Errorf("%d queue ids seen, want %d", len(s.seen), n)
	}
	for i := 0; i < n; i++ {
		if c := s.seen[fmt.Sprintf("Q%08dX", i)]; c != 1 {
			t.Errorf("line %d committed %d times", i, c)
		}
	}
}

// TestFollowRotationAndRestarts: lines written while the follower runs,
// while it is stopped, across a rotation it sees, a rotation (and
// compression) while it is stopped, a truncation, and a crash before a
// commit are each committed exactly once.
func TestFollowRotationAndRestarts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	s := &memSink{seen: map[string]int{}}

	appendLines(t, path, 0, 50)
	stop := run(t, path, s)
	waitCount(t, s, 50)
	appendLines(t, path, 50, 80)
	// Rotation while running: rename, the writer adds to the old file
	// before it reopens, then writes the new one.
	os.Rename(path, path+".1")
	appendLines(t, path+".1", 80, 90)
	appendLines(t, path, 90, 120)
	waitCount(t, s, 120)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Stopped: more lines, then a rotation with compression, then more.
	appendLines(t, path, 120, 150)
	os.Rename(path, path+".20261205-101500")
	gzipFile(t, path+".20261205-101500")
	appendLines(t, path, 150, 170)
	stop = run(t, path, s)
	waitCount(t, s, 170)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Stopped: an uncompressed rotation (found by inode).
	appendLines(t, path, 170, 180)
	os.Rename(path, path+".2")
	appendLines(t, path, 180, 190)
	stop = run(t, path, s)
	waitCount(t, s, 190)

	// Truncation in place (copytruncate) while running.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the follower notices the shorter file
	appendLines(t, path, 190, 200)
	waitCount(t, s, 200)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// A crash: the next commit fails, the follower returns the error,
	// and a new one continues from the last committed position.
	s.mu.Lock()
	s.failAfter = s.commits + 1
	s.mu.Unlock()
	appendLines(t, path, 200, 260)
	stop = run(t, path, s)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		crashed := s.failAfter == 0
		s.mu.Unlock()
		if crashed || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); !errors.Is(err, errCrash) {
		t.Fatalf("follower returned %v, want the crash", err)
	}
	stop = run(t, path, s)
	waitCount(t, s, 260)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, s, 260)
}

// TestFollowPartialLine: a line is consumed only once its newline is written.
func TestFollowPartialLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	s := &memSink{seen: map[string]int{}}
	line := logLine(0)
	if err := os.WriteFile(path, []byte(line[:40]), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := run(t, path, s)
	time.Sleep(50 * time.Millisecond)
	if s.count() != 0 {
		t.Fatal("a partial line was parsed")
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(line[40:])
	f.Close()
	waitCount(t, s, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if s.pos.Offset != int64(len(line)) {
		t.Errorf("position %d, want %d", s.pos.Offset, len(line))
	}
}
