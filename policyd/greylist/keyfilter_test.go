package greylist

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestKeyFilterNoFalseNegativesFewFalsePositives(t *testing.T) {
	const n = 50_000
	f := newKeyFilter(n)
	for i := range n {
		f.add(fmt.Sprintf("192.0.2.0/24\x00s%d@x.example\x00r@y.example", i))
	}
	for i := range n {
		if !f.has(fmt.Sprintf("192.0.2.0/24\x00s%d@x.example\x00r@y.example", i)) {
			t.Fatalf("key %d added but not found", i)
		}
	}
	fp := 0
	for i := range n {
		if f.has(fmt.Sprintf("198.51.100.0/24\x00s%d@x.example\x00r@y.example", i)) {
			fp++
		}
	}
	if rate := float64(fp) / n; rate > 0.01 {
		t.Fatalf("false positive rate %.4f at capacity, want under 1%%", rate)
	}
	if f.full() {
		t.Fatalf("full at %d keys of %d", f.keys.Load(), f.capacity)
	}
	for i := range n / 10 {
		f.add(fmt.Sprintf("more%d", i))
	}
	if !f.full() {
		t.Fatalf("not full at %d keys of %d", f.keys.Load(), f.capacity)
	}
}

// countingStore counts the look-ups that reach the store, and can hold
// Keys until released (a filter build in progress).
type countingStore struct {
	Store
	mu               sync.Mutex
	triplets, client int
	keysStarted      chan struct{}
	releaseKeys      chan struct{}
}

func (s *countingStore) Triplet(ctx context.Context, c, snd, r string) (Triplet, bool, error) {
	s.mu.Lock()
	s.triplets++
	s.mu.Unlock()
	return s.Store.Triplet(ctx, c, snd, r)
}

func (s *countingStore) Client(ctx context.Context, net string) (Client, bool, error) {
	s.mu.Lock()
	s.client++
	s.mu.Unlock()
	return s.Store.Client(ctx, net)
}

func (s *countingStore) Keys(ctx context.Context, fn func(string)) error {
	err := s.Store.Keys(ctx, fn)
	if s.keysStarted != nil { // the store has been read; the build is not done yet
		close(s.keysStarted)
		<-s.releaseKeys
	}
	return err
}

func (s *countingStore) lookups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.triplets + s.client
}

func TestKeyFilterSparesStoreLookups(t *testing.T) {
	g, st, c := newTest(t)
	ctx := context.Background()
	cs := &countingStore{Store: st}
	g.store = cs
	// A triplet greylisted before the filter exists (e.g. by an earlier run).
	if r, _ := g.Check(ctx, ip("203.0.113.5"), "old@x.example", "r@c.example"); r.Reason != "new" {
		t.Fatalf("first attempt: %+v", r)
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.rebuildFilter(ctx); err != nil {
		t.Fatal(err)
	}
	g.triplets.Purge()
	g.clients.Purge()

	before := cs.lookups()
	for i := range 1000 {
		r, err := g.Check(ctx, ip(fmt.Sprintf("10.0.%d.%d", i/256, i%256)), fmt.Sprintf("s%d@x.example", i), "r@c.example")
		if err != nil || r.Reason != "new" {
			t.Fatalf("new triplet %d: %+v %v", i, r, err)
		}
	}
	if n := cs.lookups() - before; n > 20 {
		t.Fatalf("%d store look-ups for 1000 new triplets; the filter should answer nearly all", n)
	}
	// The triplet stored before the build is still found in the store.
	c.t = c.t.Add(time.Minute)
	if r, _ := g.Check(ctx, ip("203.0.113.5"), "old@x.example", "r@c.example"); r.Reason != "passed" {
		t.Fatalf("retry of a stored triplet after the delay: %+v, want passed", r)
	}
}

func TestKeyFilterKeepsKeysWrittenDuringBuild(t *testing.T) {
	g, st, c := newTest(t)
	ctx := context.Background()
	cs := &countingStore{Store: st, keysStarted: make(chan struct{}), releaseKeys: make(chan struct{})}
	g.store = cs
	done := make(chan error)
	go func() { done <- g.rebuildFilter(ctx) }()
	<-cs.keysStarted
	// Greylisted and written after the store was read for the new filter,
	// before the filter is in place.
	if r, _ := g.Check(ctx, ip("198.51.100.7"), "during@x.example", "r@c.example"); r.Reason != "new" {
		t.Fatalf("first attempt: %+v", r)
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	close(cs.releaseKeys)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g.triplets.Purge()
	g.clients.Purge()
	c.t = c.t.Add(10 * time.Second)
	if r, _ := g.Check(ctx, ip("198.51.100.7"), "during@x.example", "r@c.example"); r.Reason != "early-retry" {
		t.Fatalf("retry of a triplet written during the build: %+v, want early-retry (found in the store)", r)
	}
}

func TestKeyFilterRebuiltAfterPurge(t *testing.T) {
	g, _, c := newTest(t)
	ctx := context.Background()
	if !g.filterDue() {
		t.Fatal("no filter yet, but not due")
	}
	if err := g.rebuildFilter(ctx); err != nil {
		t.Fatal(err)
	}
	if g.filterDue() {
		t.Fatal("due right after a build")
	}
	for i := range 10_001 {
		g.Check(ctx, ip("192.0.2.1"), fmt.Sprintf("s%d@x.example", i), "r@c.example")
	}
	c.t = c.t.Add(49 * time.Hour)
	if n, err := g.Purge(ctx, c.t); err != nil || n != 10_001 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if !g.filterDue() {
		t.Fatal("10001 of 10002 keys purged, but no rebuild due")
	}
}
