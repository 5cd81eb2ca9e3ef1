package greylist

import (
	"context"
	"maps"
	"testing"
	"time"
)

func TestCountByState(t *testing.T) {
	g, st, c := newTest(t)
	ctx := context.Background()
	got, err := st.Count(ctx)
	if want := map[string]int64{"pending": 0, "passed": 0}; err != nil || !maps.Equal(got, want) {
		t.Fatalf("empty: %v, %v", got, err)
	}
	g.Check(ctx, ip("192.0.2.1"), "a@x.example", "r1@c.example")
	g.Check(ctx, ip("192.0.2.1"), "a@x.example", "r2@c.example")
	c.t = c.t.Add(time.Minute)
	g.Check(ctx, ip("192.0.2.1"), "a@x.example", "r1@c.example") // retried: passed
	// Counts read the table: state in memory arrives with the flush.
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = st.Count(ctx)
	if want := map[string]int64{"pending": 1, "passed": 1}; err != nil || !maps.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
}
