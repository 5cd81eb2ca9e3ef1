package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/history/maillog"
	"github.com/mailtower/mailtower/scan"
)

// writes measures the milter's path: Record on a Writer (what a message
// waits for) and the rows per second the writer's batches reach on the
// filled store.
func writes(ctx context.Context, h *history.Store) {
	const count = 50000
	w := history.NewWriter(h.Write, history.WriterOptions{Queue: count})
	findings := []scan.Finding{{Scanner: "bayes", Category: scan.Spam, Rule: "BAYES_80", Score: 2.1, Reason: "bayes 0.8"},
		{Scanner: "heuristics", Category: scan.Spam, Rule: "HTML_ONLY", Score: 0.8, Reason: "html only"}}
	t0 := time.Now()
	var worst time.Duration
	for i := 0; i < count; i++ {
		m := history.Message{QueueID: fmt.Sprintf("4W%09X", i), ClientAddr: "198.51.100.7", ClientName: "mx.sender.example",
			Helo: "mx.sender.example", Sender: "news@sender.example", HeaderFrom: "News <news@sender.example>",
			Subject: "weekly report number " + fmt.Sprint(i), MessageID: fmt.Sprintf("<w%d@sender.example>", i), Size: 12345, Score: 2.9,
			Findings: findings, Recipients: []history.Recipient{
				{Address: fmt.Sprintf("user%d@customer7.example", i%500), Verdict: "clean", Action: "pass", Score: 2.9, Threshold: 5,
					DeliveryQueueID: fmt.Sprintf("4W%09X", i)}}}
		t := time.Now()
		w.Record(m)
		worst = max(worst, time.Since(t))
	}
	recorded := time.Since(t0)
	check(w.Close(context.Background()))
	total := time.Since(t0)
	fmt.Printf("\nwrite path: %d messages; Record %.2f µs each (worst %s); written at %.0f messages/s (batches of up to 500)\n",
		count, float64(recorded.Nanoseconds())/count/1000, worst, count/total.Seconds())
}

// follow writes a Postfix log of lines like a busy gateway's (eight
// lines per message, one of them a delivery) and times the follower
// reading it into the store.
func follow(ctx context.Context, h *history.Store, dir string) {
	const msgs = 100000
	path := filepath.Join(dir, fmt.Sprintf("mail-%d.log", time.Now().UnixNano())) // a new log per run
	f, err := os.Create(path)
	check(err)
	bw := bufio.NewWriter(f)
	lines := 0
	for i := 0; i < msgs; i++ {
		q := fmt.Sprintf("4F%09X", i)
		for _, l := range []string{
			"postfix/smtpd[100]: connect from mx.sender.example[198.51.100.7]",
			"postfix/smtpd[100]: " + q + ": client=mx.sender.example[198.51.100.7]",
			"postfix/cleanup[101]: " + q + ": message-id=<f" + fmt.Sprint(i) + "@sender.example>",
			"postfix/qmgr[102]: " + q + ": from=<news@sender.example>, size=12345, nrcpt=1 (queue active)",
			"postfix/smtpd[100]: disconnect from mx.sender.example[198.51.100.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
			"postfix/smtp[103]: " + q + ": to=<user" + fmt.Sprint(i%500) + "@customer7.example>, relay=mx.customer7.example[192.0.2.25]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as R" + fmt.Sprint(i) + ")",
			"postfix/qmgr[102]: " + q + ": removed",
			"postfix/anvil[104]: statistics: max connection rate 1/60s for (smtp:198.51.100.7) at Dec  5 10:00:00",
		} {
			fmt.Fprintf(bw, "Dec 05 10:00:00 gw %s\n", l)
			lines++
		}
	}
	check(bw.Flush())
	check(f.Close())
	fi, err := os.Stat(path)
	check(err)
	defer os.Remove(path)
	sink := h.LogSink(path, nil)
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- (&maillog.Follower{Path: path, Sink: sink, Poll: 10 * time.Millisecond}).Run(fctx) }()
	// The position is watched through a sink of its own: the follower's
	// sink remembers the position it last read, and a look from here
	// could set it back (its next commit then fails as if another
	// follower had moved the position, and the wait never ends).
	probe := h.LogSink(path, nil)
	for {
		pos, _, err := probe.Position(ctx)
		check(err)
		if pos.Offset >= fi.Size() {
			break
		}
		select {
		case err := <-done:
			log.Fatalf("log follower stopped before the end of the log: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	d := time.Since(t0)
	cancel()
	check(<-done)
	fmt.Printf("log follower: %d lines (%d deliveries) in %s: %.0f lines/s, %.0f deliveries/s\n", lines, msgs,
		d.Round(time.Millisecond), float64(lines)/d.Seconds(), float64(msgs)/d.Seconds())
}
