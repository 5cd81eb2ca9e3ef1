// Command loadtest measures Postfix policy servers the way Postfix uses
// them: C persistent connections (one per smtpd process), each sending
// RCPT-state requests with new greylisting triplets back to back. It runs
// each named target for the same duration, one after the other, and
// prints decisions per second, latency percentiles and the throughput
// ratio of each to a baseline target (-baseline; default the second).
//
//	go run ./policyd/loadtest -d 10s mailtower=127.0.0.1:10040 postgrey=127.0.0.1:10023
//
// scripts/bench-policyd.sh starts mailtower and postgrey and runs it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	conns := flag.Int("c", 50, "persistent connections")
	dur := flag.Duration("d", 10*time.Second, "measuring time per target")
	rate := flag.Float64("rate", 0, "paced load: this many requests per second in total, spread over the connections; latency counts from each request's scheduled time (no coordinated omission); 0 = as fast as answers come")
	domain := flag.String("domain", "catch.example", "recipient domain (catch-all, so greylisting applies)")
	expect := flag.String("expect", "450 4.7.1|DEFER_IF_PERMIT", "answers that count as a greylisting decision (| separated)")
	freePorts := flag.Int("free-ports", 0, "print this many free loopback TCP ports and exit (for scripts)")
	waitFor := flag.String("wait", "", "wait up to 60s until HOST:PORT accepts connections, then exit")
	baseline := flag.String("baseline", "", "the target the others are compared with (default: the second)")
	null := flag.String("serve-null", "", "serve HOST:PORT as a null policy server (answers DUNNO at once, no work): the floor the machine sets for latency")
	flag.Parse()
	if *null != "" {
		serveNull(*null)
		return
	}
	if *freePorts > 0 {
		printFreePorts(*freePorts)
		return
	}
	if *waitFor != "" {
		for end := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if c, err := net.Dial("tcp", *waitFor); err == nil {
				c.Close()
				return
			}
			if time.Now().After(end) {
				fmt.Fprintf(os.Stderr, "loadtest: %s not reachable\n", *waitFor)
				os.Exit(1)
			}
		}
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: loadtest [-c N] [-d DUR] NAME=HOST:PORT...")
		os.Exit(2)
	}
	var results []result
	// Senders differ from run to run, so that a later run never retries
	// an earlier run's triplets (which would pass or auto-allow).
	runID := letters(int(time.Now().UnixNano() / int64(time.Millisecond) % (26 * 26 * 26 * 26 * 26)))
	for i, arg := range flag.Args() {
		name, addr, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "loadtest: %q: want NAME=HOST:PORT\n", arg)
			os.Exit(2)
		}
		var interval time.Duration
		if *rate > 0 {
			interval = time.Duration(float64(*conns) / *rate * float64(time.Second))
		}
		r, err := run(name, addr, *conns, *dur, *domain, runID, i, strings.Split(*expect, "|"), interval)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: %s: %v\n", name, err)
			os.Exit(1)
		}
		results = append(results, r)
		r.print()
	}
	printRatios(results, *baseline)
}

// printRatios compares every result with the baseline target (by
// default the second one named), measured in the same run.
func printRatios(results []result, baseline string) {
	if len(results) < 2 {
		return
	}
	base := results[1]
	for _, r := range results {
		if r.name == baseline {
			base = r
		}
	}
	if base.rate() == 0 {
		return
	}
	for _, r := range results {
		if r.name == base.name {
			continue
		}
		fmt.Printf("ratio %s/%s: throughput %.2fx, p99 latency %.3f ms vs %.3f ms\n",
			r.name, base.name, r.rate()/base.rate(), ms(r.pct(0.99)), ms(base.pct(0.99)))
	}
}

type result struct {
	name       string
	elapsed    time.Duration
	lat        []time.Duration
	greylisted int
	other      map[string]int
}

func (r result) rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r result) print() {
	fmt.Printf("%-10s %8d decisions in %5.1fs = %8.0f/s   p50 %.3f ms  p99 %.3f ms  max %.3f ms   greylisted %d",
		r.name, len(r.lat), r.elapsed.Seconds(), r.rate(), ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.pct(1)), r.greylisted)
	for a, n := range r.other {
		fmt.Printf("  other %q x%d", a, n)
	}
	fmt.Println()
}

// run drives one target: every request is a new triplet (a new sender,
// spelled in letters only so that VERP folding of digits cannot merge
// them, from a rotating client network).
func run(name, addr string, conns int, dur time.Duration, domain, runID string, round int, expect []string, interval time.Duration) (result, error) {
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return result{}, err
		}
		defer c.Close()
		cs[i] = c
	}
	var mu sync.Mutex
	res := result{name: name, other: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(dur)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, grey, other := drive(c, i, runID, round, deadline, domain, expect, interval, time.Duration(i)*interval/time.Duration(conns))
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.greylisted += grey
			for k, v := range other {
				res.other[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.lat)
	return res, nil
}

// drive sends requests on one connection until deadline: back to back,
// or every interval (starting after offset) when interval > 0.
func drive(c net.Conn, conn int, runID string, round int, deadline time.Time, domain string, expect []string, interval, offset time.Duration) ([]time.Duration, int, map[string]int) {
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	var lat []time.Duration
	grey := 0
	other := map[string]int{}
	c.SetDeadline(deadline.Add(30 * time.Second))
	next := time.Now().Add(offset)
	for n := 0; time.Now().Before(deadline); n++ {
		if interval > 0 {
			time.Sleep(time.Until(next))
		}
		client := fmt.Sprintf("10.%d.%d.%d", (round*64+conn)%256, n/256%256, n%256)
		fmt.Fprintf(bw, "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"+
			"client_address=%s\nclient_name=unknown\nreverse_client_name=unknown\nhelo_name=mx.test\n"+
			"sender=%s@%s.%s.example\nrecipient=user%s@%s\nrecipient_count=0\nqueue_id=\ninstance=%x.%x\nsize=0\n\n",
			client, letters(n), letters(round*1000+conn), runID, letters(n%97), domain, conn, n)
		t0 := time.Now()
		if interval > 0 {
			t0 = next // a late send counts as latency
			next = next.Add(interval)
		}
		if bw.Flush() != nil {
			break
		}
		action, err := readReply(br)
		if err != nil {
			other["error: "+err.Error()]++
			break
		}
		lat = append(lat, time.Since(t0))
		if hasAnyPrefix(action, expect) {
			grey++
		} else {
			other[action]++
		}
	}
	return lat, grey, other
}

func readReply(br *bufio.Reader) (string, error) {
	var action string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			return action, nil
		}
		action = strings.TrimPrefix(l, "action=")
	}
}

func hasAnyPrefix(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// letters spells n in base 26 with a..z.
func letters(n int) string {
	b := []byte{byte('a' + n%26)}
	for n /= 26; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return string(b)
}

// printFreePorts prints n distinct free loopback ports (held open until
// all are chosen, so they differ).
func printFreePorts(n int) {
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		ls = append(ls, l)
	}
	for _, l := range ls {
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
}

// serveNull answers every request with DUNNO without looking at it.
func serveNull(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			br, bw := bufio.NewReader(c), bufio.NewWriter(c)
			for {
				if _, err := readReply(br); err != nil { // reads up to the empty line
					return
				}
				bw.WriteString("action=DUNNO\n\n")
				if bw.Flush() != nil {
					return
				}
			}
		}()
	}
}
