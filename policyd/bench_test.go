package policyd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
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

// BenchmarkServeNewTriplets measures whole round trips through the
// server over loopback TCP, as Postfix makes them: 50 persistent
// connections, each sending its next RCPT request (a new greylisting
// triplet) when the answer to the last has come. Client and server
// share the machine; allocs/op counts both (the client allocates none).
func BenchmarkServeNewTriplets(b *testing.B) {
	f := newFixture(b)
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.d.Serve(ctx, ln, nil) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	for !f.d.Greylist.FilterBuilt() {
		time.Sleep(time.Millisecond)
	}
	var conns atomic.Int64
	b.SetParallelism(25) // 50 connections on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		id := conns.Add(1)
		br := bufio.NewReader(c)
		buf := make([]byte, 0, 512)
		for n := int64(0); pb.Next(); n++ {
			buf = append(buf[:0], "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=10."...)
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, '.')
			buf = strconv.AppendInt(buf, n>>8&255, 10)
			buf = append(buf, '.')
			buf = strconv.AppendInt(buf, n&255, 10)
			buf = append(buf, "\nclient_name=unknown\nhelo_name=mx.test\nsender=s"...)
			buf = strconv.AppendInt(buf, n, 36)
			buf = append(buf, "@x.example\nrecipient=u"...)
			buf = strconv.AppendInt(buf, n%100, 10)
			buf = append(buf, "@catch.example\nqueue_id=\nsize=0\n\n"...)
			if _, err := c.Write(buf); err != nil {
				b.Error(err)
				return
			}
			line, err := br.ReadSlice('\n')
			if err != nil || !bytes.HasPrefix(line, []byte("action=450 4.7.1 ")) {
				b.Errorf("reply %q, %v", line, err)
				return
			}
			if _, err := br.ReadSlice('\n'); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
