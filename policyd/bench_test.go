package policyd

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDecideNewTriplets measures one RCPT decision for a catch-all
// recipient with a new greylisting triplet each time (the most expensive
// path: settings look-ups, a greylist miss and a new entry), in parallel
// as Postfix's smtpd processes would ask. The greylister runs as in the
// daemon: writing behind the answers, with its key filter built.
func BenchmarkDecideNewTriplets(b *testing.B) {
	f := newFixture(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.d.Greylist.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	for !f.d.Greylist.FilterBuilt() {
		time.Sleep(time.Millisecond)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			r := rcpt(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("s%x@x.example", i),
				fmt.Sprintf("u%d@catch.example", i%100))
			dec, err := f.d.Decider.Decide(ctx, r)
			if err != nil || dec.Reason != "greylisted" {
				b.Fatalf("%+v %v", dec, err)
			}
		}
	})
}

// BenchmarkDecideKnownUser measures the validation path (non-catch-all
// domain, cached settings).
func BenchmarkDecideKnownUser(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	r := rcpt("203.0.113.1", "a@b.example", "bob@valid.example")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if dec, err := f.d.Decider.Decide(ctx, r); err != nil || dec.Reason != "pass" {
				b.Fatalf("%+v %v", dec, err)
			}
		}
	})
}
