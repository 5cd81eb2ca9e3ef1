//go:build integration

package integration

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history/maillog"
)

// TestHistoryFollowerRestartRotation: under a steady stream of mail,
// Postfix's log (maillog_file, written by postlogd) is rotated with
// `postfix logrotate` (renamed, then compressed) once while mailtower
// runs and once while it is down after a SIGKILL, with deliveries logged
// while it was down. Every delivery line in the logs is in the history
// exactly once: none lost, none counted twice.
func TestHistoryFollowerRestartRotation(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true, NoSpamd: true, MailLogFile: true})
	e.addDomain(t, "clean.test")
	// The load: a message every 50 ms until stopped, each retried until
	// accepted (451 while mailtower is down).
	var accepted atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			rcpt := fmt.Sprintf("load-%d@clean.test", i)
			msg := message([]string{"From: <load@sender.example>", "To: <" + rcpt + ">", fmt.Sprintf("Subject: load %d", i)}, "Load.\n")
			for {
				if r, err := send(e.Postfix.Addr(), "load@sender.example", []string{rcpt}, msg); err == nil && r.Accepted() {
					accepted.Add(1)
					break
				}
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	defer func() {
		select {
		case <-done:
		default:
			close(stop)
			<-done
		}
	}()
	rotate := func() {
		t.Helper()
		if out, err := run("postfix", "-c", e.Postfix.Dir, "logrotate"); err != nil {
			t.Fatalf("postfix logrotate: %v\n%s", err, out)
		}
	}
	pause := func(d time.Duration) { time.Sleep(d) } // the load goes on meanwhile

	pause(2 * time.Second)
	rotate() // while the follower runs
	pause(2 * time.Second)

	// Deliveries logged while mailtower is down: the customer's server
	// refuses for a moment, mailtower is killed, the server comes back
	// and Postfix delivers what it queued.
	e.Sink.Stop()
	var queue []QueueEntry
	if !waitFor(waitLimit, func() bool {
		queue, _ = e.Postfix.Queue()
		for _, m := range queue {
			for _, r := range m.Recipients {
				if r.DelayReason != "" {
					return true
				}
			}
		}
		return false
	}) {
		t.Fatalf("no deferred mail in Postfix's queue while the customer's server is down (%d accepted): %+v", accepted.Load(), queue)
	}
	e.Mailtower.Kill()
	if err := e.Sink.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Postfix.Flush(); err != nil {
		t.Fatal(err)
	}
	e.waitQueueEmpty(t) // delivered and logged while mailtower is down
	rotate()            // while the follower is down: renamed and compressed
	if err := e.Mailtower.Start(); err != nil {
		t.Fatal(err)
	}
	pause(2 * time.Second)
	close(stop)
	<-done
	if accepted.Load() < 40 {
		t.Fatalf("only %d messages accepted", accepted.Load())
	}
	e.settle(t)

	// Every delivery line of the logs, rotated ones included.
	inLog := map[string]int{}
	files, _ := filepath.Glob(e.Postfix.MailLog + "*")
	if len(files) < 3 {
		t.Fatalf("log files %v, want the log and two rotated ones", files)
	}
	for _, f := range files {
		for _, ev := range logEvents(t, f) {
			if ev.Kind == maillog.KindDelivery {
				inLog[ev.QueueID+" "+ev.Recipient+" "+ev.Status]++
			}
		}
	}
	// The follower commits shortly after the line; wait until the
	// history has as many as the logs, then compare.
	db := e.openDB(t)
	want := 0
	for _, n := range inLog {
		want += n
	}
	if int64(want) < accepted.Load() {
		t.Fatalf("%d delivery lines in the logs, want at least %d", want, accepted.Load())
	}
	count := func() int {
		var n int
		db.QueryRow(`SELECT COUNT(*) FROM history_deliveries WHERE status != 'notice'`).Scan(&n)
		return n
	}
	waitFor(waitLimit, func() bool { return count() >= want })
	rows, err := db.Query(`SELECT queue_id, recipient, status FROM history_deliveries WHERE status != 'notice'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	inHistory := map[string]int{}
	for rows.Next() {
		var q, r, s string
		if err := rows.Scan(&q, &r, &s); err != nil {
			t.Fatal(err)
		}
		inHistory[q+" "+r+" "+s]++
	}
	for k, n := range inLog {
		if inHistory[k] != n {
			t.Errorf("%s: %d times in the logs, %d in the history", k, n, inHistory[k])
		}
	}
	for k, n := range inHistory {
		if inLog[k] == 0 {
			t.Errorf("%s: %d times in the history, not in the logs", k, n)
		}
	}
	deferred := 0
	for k := range inLog {
		if strings.HasSuffix(k, " deferred") {
			deferred++
		}
	}
	t.Logf("%d messages, %d delivery lines (%d deferred) in %d log files", accepted.Load(), want, deferred, len(files))
}

// logEvents parses a log file, compressed or not.
func logEvents(t *testing.T, path string) []maillog.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var out []maillog.Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if ev, ok := maillog.Parse(sc.Text(), time.Now()); ok {
			out = append(out, ev)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
