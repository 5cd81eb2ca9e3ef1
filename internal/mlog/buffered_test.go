package mlog

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher goroutine.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func TestDaemonLoggerBatchesInfoAndWritesWarningsAtOnce(t *testing.T) {
	var out syncBuffer
	log, b := newDaemon(&out, "info", "text", time.Hour) // no periodic flush within the test
	urgentLog := log.With("peer", "127.0.0.1:1")
	for i := range 100 {
		urgentLog.Info("policy decision", "n", i)
	}
	if out.String() != "" {
		t.Fatalf("info lines written before a flush: %q", out.String())
	}
	urgentLog.Warn("disk full")
	got := out.String()
	if strings.Count(got, "policy decision") != 100 || !strings.Contains(got, "disk full") || !strings.Contains(got, "peer=127.0.0.1:1") {
		t.Fatalf("after a warning, want 100 info lines and the warning in order, got %d lines:\n%s", strings.Count(got, "\n"), got)
	}
	if strings.Index(got, "n=99") > strings.Index(got, "disk full") {
		t.Fatal("lines out of order")
	}
	if out.Writes() != 1 {
		t.Fatalf("%d writes for 101 lines, want 1", out.Writes())
	}
	urgentLog.Info("last words")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "last words") {
		t.Fatal("Close did not write the waiting line")
	}
}

func TestBufferedWritesPeriodicallyAndWhenFull(t *testing.T) {
	var out syncBuffer
	b := NewBuffered(&out, 10*time.Millisecond)
	defer b.Close()
	b.Write([]byte("one line\n"))
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "one line\n" {
		if time.Now().After(deadline) {
			t.Fatal("the periodic flush never wrote the line")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var slow syncBuffer
	full := NewBuffered(&slow, time.Hour)
	defer full.Close()
	line := strings.Repeat("x", 1023) + "\n"
	for range maxPending / len(line) {
		full.Write([]byte(line))
	}
	if slow.Writes() != 1 || len(slow.String()) != maxPending {
		t.Fatalf("after %d bytes: %d writes of %d bytes, want one of all", maxPending, slow.Writes(), len(slow.String()))
	}
}
