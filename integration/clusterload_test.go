//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/testmail"
)

// The cluster's failure tests need a sender that behaves like the
// Internet: a sending MTA that keeps a message the gateways tempfail and
// retries it, on the next gateway of its list when one is down. A third
// Postfix instance plays it; the load hands it messages, each with its
// own Message-ID, and the checks count by Message-ID what reached the
// customer's server.

// startSenderMTA starts a sending Postfix (no milter, no policy) that
// relays each domain of routes to the listed gateways' SMTP ports in
// order (a next-hop list, Postfix ≥ 3.5): a 4xx or a refused connection
// at the first moves on to the next; when every one fails, the message is
// deferred and retried within seconds (the harness's queue_run_delay and
// backoff times). It connects from outsideIP, as mail from the Internet.
func startSenderMTA(t *testing.T, routes map[string][]*Env) *Postfix {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailtower-it-mta-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	pf, err := newPostfix(dir)
	if err != nil {
		t.Fatal(err)
	}
	var transport strings.Builder
	var domains []string
	for domain, gws := range routes {
		var hops []string
		for _, gw := range gws {
			hops = append(hops, fmt.Sprintf("[127.0.0.1]:%d", gw.Postfix.SMTPPort))
		}
		fmt.Fprintf(&transport, "%s smtp:%s\n", domain, strings.Join(hops, ", "))
		domains = append(domains, domain)
	}
	table := filepath.Join(dir, "transport")
	if err := os.WriteFile(table, []byte(transport.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pf.Stop()
		if t.Failed() {
			t.Logf("sender MTA kept in %s; tail of its log:\n%s", dir, tailFile(pf.Log, 30))
			return
		}
		os.RemoveAll(dir)
	})
	main := "myhostname = mta.sender.test\n" + // not the gateways' name: no mail loop
		"transport_maps = texthash:" + table + "\n" +
		"smtp_bind_address = " + outsideIP + "\n"
	if err := pf.Start(PostfixOptions{Domains: domains, SinkPort: 9, MainExtra: main}); err != nil {
		t.Fatal(err)
	}
	return pf
}

// loadMsg is one message of a load.
type loadMsg struct {
	ID   string // Message-ID, without the angle brackets
	Rcpt string
	// Bad messages carry an executable: quarantined, never delivered.
	Bad bool
}

// mailLoad hands the sender MTA one message per tick until stopped; one
// message in five is bad and goes to badRcpt.
type mailLoad struct {
	name    string
	addr    string
	rcpts   []string
	badRcpt string

	mu   sync.Mutex
	sent []loadMsg
	errs []string
	stop chan struct{}
	done chan struct{}
}

// startLoad starts a load named name on the sender MTA at addr.
func startLoad(name, addr string, every time.Duration, rcpts []string, badRcpt string) *mailLoad {
	l := &mailLoad{name: name, addr: addr, rcpts: rcpts, badRcpt: badRcpt,
		stop: make(chan struct{}), done: make(chan struct{})}
	go l.run(every)
	return l
}

func (l *mailLoad) run(every time.Duration) {
	defer close(l.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; ; n++ {
		m := loadMsg{ID: fmt.Sprintf("%s.%d.%d@sender.example", l.name, n, time.Now().UnixNano()), Rcpt: l.rcpts[n%len(l.rcpts)]}
		if n%5 == 0 {
			m.Bad, m.Rcpt = true, l.badRcpt
		}
		// A sender of its own per message, as on the Internet: Postfix's
		// address resolver client caches its last answer, a failure
		// included, for 30 s per sender and recipient (resolve_clnt.c).
		from := fmt.Sprintf("%s-%d@sender.example", l.name, n)
		r, err := send(l.addr, from, []string{m.Rcpt}, loadMessage(m))
		l.mu.Lock()
		if err == nil && r.Accepted() {
			l.sent = append(l.sent, m)
		} else {
			l.errs = append(l.errs, fmt.Sprintf("%s: %v %v", m.ID, r, err))
		}
		l.mu.Unlock()
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
	}
}

// Sent is what the sender MTA accepted so far.
func (l *mailLoad) Sent() []loadMsg {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]loadMsg(nil), l.sent...)
}

// Stop ends the load and returns what the sender MTA accepted; the MTA
// refusing a message fails t (it has no reason to).
func (l *mailLoad) Stop(t *testing.T) []loadMsg {
	t.Helper()
	close(l.stop)
	<-l.done
	if len(l.errs) > 0 {
		t.Errorf("the sender MTA refused %d messages: %v", len(l.errs), l.errs)
	}
	return l.Sent()
}

// loadMessage is m's text: a short clean message, or one with an
// executable that the global `block-filetype exe` rule catches. The
// subject carries the Message-ID, which quarantine listings show.
func loadMessage(m loadMsg) []byte {
	h := []string{"From: <load@sender.example>", "To: <" + m.Rcpt + ">", "Subject: load " + m.ID, "Message-ID: <" + m.ID + ">"}
	if !m.Bad {
		return message(h, "A message of the load test.\n")
	}
	return message(append(h, `Content-Type: multipart/mixed; boundary="=_part"`),
		"--=_part\nContent-Type: text/plain\n\nThe invoice is attached.\n"+
			"--=_part\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n"+
			"Content-Transfer-Encoding: base64\n\n"+testmail.Base64Lines(testmail.PE(false), "\n")+"--=_part--\n")
}

// messageIDs counts the messages the sink received by Message-ID.
func messageIDs(s *Sink) map[string]int {
	n := map[string]int{}
	for _, m := range s.Messages() {
		for _, id := range m.Header("Message-ID") {
			n[strings.Trim(id, "<>")]++
		}
	}
	return n
}

// checkDeliveredOnce waits until every good message of sent reached the
// sink and every queue is empty, then fails t for a good message that
// arrived other than once and for a bad one that arrived at all.
func checkDeliveredOnce(t *testing.T, sink *Sink, sent []loadMsg, queues ...*Postfix) {
	t.Helper()
	missing := func() []string {
		got := messageIDs(sink)
		var out []string
		for _, m := range sent {
			if !m.Bad && got[m.ID] == 0 {
				out = append(out, m.ID)
			}
		}
		return out
	}
	start, flushed := time.Now(), time.Now()
	if !waitFor(waitLimit, func() bool {
		// The queues retry by themselves; a flush now and then only cuts
		// the waits of a loaded machine short (Postfix's qmgr can leave a
		// message deferred within milliseconds untouched for a minute,
		// logging "skipped, still being delivered").
		if time.Since(flushed) > 5*time.Second {
			for _, pf := range queues {
				_ = pf.Flush()
			}
			flushed = time.Now()
		}
		return len(missing()) == 0
	}) {
		t.Errorf("%d of %d messages never reached the sink: %v", len(missing()), len(sent), missing())
	}
	t.Logf("every message at the sink %s after the load ended", time.Since(start).Round(time.Millisecond))
	for _, pf := range queues {
		var q []QueueEntry
		if !waitFor(waitLimit, func() bool {
			var err error
			q, err = pf.Queue()
			return err == nil && len(q) == 0
		}) {
			t.Errorf("queue of %s not empty: %+v", pf.Dir, q)
		}
	}
	got := messageIDs(sink)
	good := 0
	for _, m := range sent {
		switch {
		case m.Bad && got[m.ID] > 0:
			t.Errorf("%s carries an executable and reached the sink %d times: it passed unscanned", m.ID, got[m.ID])
		case !m.Bad && got[m.ID] > 1:
			t.Errorf("%s reached the sink %d times, want once", m.ID, got[m.ID])
		case !m.Bad:
			good++
		}
	}
	t.Logf("%d messages sent, %d clean ones delivered, %d bad ones held", len(sent), good, len(sent)-good)
}

// checkQuarantinedOnce fails t unless every bad message of sent is listed
// exactly once in the quarantine as gw sees it, and returns the entries
// by Message-ID.
func checkQuarantinedOnce(t *testing.T, gw *Env, sent []loadMsg) map[string]QuarantineItem {
	t.Helper()
	items, err := gw.Mailtower.Quarantine("content")
	if err != nil {
		t.Fatal(err)
	}
	bySubject := map[string][]QuarantineItem{}
	for _, it := range items {
		bySubject[it.Subject] = append(bySubject[it.Subject], it)
	}
	out := map[string]QuarantineItem{}
	for _, m := range sent {
		if !m.Bad {
			continue
		}
		got := bySubject["load "+m.ID]
		if len(got) != 1 {
			t.Errorf("%s: %d quarantine entries, want 1", m.ID, len(got))
			continue
		}
		out[m.ID] = got[0]
	}
	return out
}
