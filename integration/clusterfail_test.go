//go:build integration

package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// loadEvery is the pace of the failure tests' loads: five messages a
// second through two gateways is load enough on two shared cores.
const loadEvery = 200 * time.Millisecond

// clusterDomains sets up the domains of the failure tests on the shared
// database: load.test and load2.test with a user each, held.test whose
// content is quarantined, grey.test (catch-all, so greylisted), every one
// relaying to sink; executables are blocked.
func clusterDomains(t *testing.T, gw *Env, sink string) {
	t.Helper()
	for _, args := range [][]string{
		{"domain", "add", "load.test", "--relay", sink},
		{"domain", "add", "load2.test", "--relay", sink},
		{"domain", "add", "held.test", "--relay", sink, "--content-action", "quarantine"},
		{"domain", "add", "grey.test", "--relay", sink, "--catch-all"},
		{"user", "add", "ann@load.test"}, {"user", "add", "ben@load2.test"}, {"user", "add", "carol@held.test"},
		{"rule", "add", "global", "--block-filetype", "exe"},
	} {
		gw.cli(t, args...)
	}
	awaitSettingsVisible()
}

// TestClusterPostgresOutage: PostgreSQL stops for 10 s while mail flows
// through both gateways. Gateway A runs the milter alone (its Postfix
// keeps relay tables of its own), so the outage meets the milter at the
// end of DATA; B runs the generated configuration, so it meets the policy
// daemon and the socketmaps at RCPT, and greylists grey.test (its
// prepared statements outlive the outage's connections). Mail B queued
// before the outage (the customer's server refused for a moment) goes out
// during it. Both answer 4xx
// while PostgreSQL is down, nothing passes unscanned, and once it is back
// both take mail again by themselves: the sending MTA's retries deliver
// every message exactly once and quarantine every bad one exactly once.
func TestClusterPostgresOutage(t *testing.T) {
	begin := time.Now()
	pg, url := startPostgres(t)
	a := NewEnv(t, EnvOptions{Domains: []string{"load.test", "load2.test", "held.test"}, NoClamd: true, NoSpamd: true, Database: url})
	b := newClusterEnv(t, url)
	clusterDomains(t, a, a.Sink.Addr())
	mta := startSenderMTA(t, map[string][]*Env{"load.test": {a, b}, "load2.test": {b, a}, "held.test": {a, b}, "grey.test": {b}})
	t.Logf("two gateways and the sending MTA up after %s", time.Since(begin).Round(time.Millisecond))
	load := startLoad("pgdown", mta.Addr(), loadEvery, []string{"ann@load.test", "ben@load2.test", "dora@grey.test"}, "carol@held.test")
	if !waitFor(20*time.Second, func() bool { return a.Sink.Count() >= 5 }) {
		t.Fatalf("no mail flows before the outage: %d delivered", a.Sink.Count())
	}
	// The customer's server refuses for a moment, so that B holds mail in
	// its queue when the outage begins.
	a.Sink.SetRcptReply(func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "busy"}
	})
	if !waitFor(20*time.Second, func() bool { q, err := b.Postfix.Queue(); return err == nil && len(q) > 0 }) {
		t.Fatal("B queued nothing while the customer's server refused")
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	time.Sleep(settingsVisibleAfter) // past the cached settings generation
	// A: past RCPT (no policy service), the milter tempfails at end of DATA.
	ra := transactMsg(t, a.Postfix.Addr(), outsideIP, "probe@sender.example", []string{"ann@load.test"}, 0, nil)
	if ra.Rcpt["ann@load.test"].Code != 250 || ra.Data.Code/100 != 4 {
		t.Errorf("A with PostgreSQL down: RCPT %v, end of DATA %v; want 250, then 4xx from the milter", ra.Rcpt["ann@load.test"], ra.Data)
	}
	// B: the policy daemon (DEFER_IF_PERMIT) or the socketmap tempfails at RCPT.
	rb := transactMsg(t, b.Postfix.Addr(), outsideIP, "probe@sender.example", []string{"ben@load2.test"}, 0, nil)
	if r := rb.Rcpt["ben@load2.test"]; r.Code/100 != 4 {
		t.Errorf("B with PostgreSQL down: RCPT %v, want 4xx", r)
	}
	t.Logf("with PostgreSQL down: A end of DATA %v; B RCPT %v", ra.Data, rb.Rcpt["ben@load2.test"])
	// Mail B had queued goes out during the outage: its next hops come
	// from the socketmap, which answers with the domains it knew.
	a.Sink.SetRcptReply(nil)
	for _, pf := range []*Postfix{a.Postfix, b.Postfix} {
		if err := pf.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var q []QueueEntry
	if !waitFor(time.Until(stopped.Add(9*time.Second)), func() bool {
		var err error
		q, err = b.Postfix.Queue()
		return err == nil && len(q) == 0
	}) {
		t.Errorf("B's queued mail did not go out during the outage: %+v", q)
	}
	time.Sleep(time.Until(stopped.Add(10 * time.Second)))
	delivered := a.Sink.Count()
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL down for %s; %d messages delivered by then", time.Since(stopped).Round(time.Millisecond), delivered)
	time.Sleep(4 * time.Second) // more load after the recovery
	sent := load.Stop(t)
	checkDeliveredOnce(t, a.Sink, sent, mta, a.Postfix, b.Postfix)
	checkQuarantinedOnce(t, b, sent)
	if n := mta.LogCount("status=deferred", "said: 4"); n == 0 {
		t.Errorf("the sending MTA never met a 4xx: the outage was not seen by the senders")
	} else {
		t.Logf("the sending MTA deferred %d deliveries on a 4xx", n)
	}
}

// TestClusterGatewayKilled: under load on both gateways, gateway A (its
// mailtower and its Postfix) is killed with SIGKILL. B keeps taking mail
// meanwhile, including what A tempfailed or never answered; a message
// quarantined on A before is listed, shown and released from B. When A
// comes back, the mail its queue held goes out: every message reached the
// customer's server exactly once and every bad one is quarantined once.
func TestClusterGatewayKilled(t *testing.T) {
	_, url := startPostgres(t)
	a := newClusterEnv(t, url)
	b := newClusterEnv(t, url)
	clusterDomains(t, a, a.Sink.Addr())
	early := loadMsg{ID: "before-kill@sender.example", Rcpt: "carol@held.test", Bad: true}
	a.sendOK(t, "load@sender.example", []string{early.Rcpt}, loadMessage(early))
	mta := startSenderMTA(t, map[string][]*Env{"load.test": {a, b}, "load2.test": {b, a}, "held.test": {a, b}})
	load := startLoad("kill", mta.Addr(), loadEvery, []string{"ann@load.test", "ben@load2.test"}, "carol@held.test")
	if !waitFor(20*time.Second, func() bool { return a.Sink.Count() >= 10 }) {
		t.Fatalf("no mail flows before the kill: %d delivered", a.Sink.Count())
	}
	a.Mailtower.Kill()
	a.Postfix.master.kill()
	killed := time.Now()
	sentBefore := len(load.Sent())
	t.Logf("gateway A killed after %d messages", sentBefore)

	t.Run("B takes mail while A is dead", func(t *testing.T) {
		if !waitFor(30*time.Second, func() bool {
			got := messageIDs(a.Sink)
			for _, m := range load.Sent()[sentBefore:] {
				if !m.Bad && got[m.ID] > 0 {
					return true
				}
			}
			return false
		}) {
			t.Fatal("nothing sent after the kill was delivered via B")
		}
	})
	t.Run("quarantined on A, released from B", func(t *testing.T) {
		q := checkQuarantinedOnce(t, b, []loadMsg{early})
		it, ok := q[early.ID]
		if !ok {
			t.FailNow()
		}
		id := strings.Trim(string(it.ID), `"`)
		if out, err := b.Mailtower.CLI("quarantine", "show", "--raw", id); err != nil || !strings.Contains(out, early.ID) {
			t.Fatalf("show on B: %v\n%.300s", err, out)
		}
		b.cli(t, "quarantine", "release", id)
		if !waitFor(waitLimit, func() bool { return messageIDs(a.Sink)[early.ID] > 0 }) {
			t.Fatal("message released from B not delivered")
		}
	})
	time.Sleep(time.Until(killed.Add(10 * time.Second)))
	sent := load.Stop(t)
	// A comes back (systemd's Restart=): its queue delivers what it held.
	if err := a.Postfix.startMaster(); err != nil {
		t.Fatal(err)
	}
	if err := a.Mailtower.Start(); err != nil {
		t.Fatal(err)
	}
	checkDeliveredOnce(t, a.Sink, sent, mta, a.Postfix, b.Postfix)
	refused := fmt.Sprintf("connect to 127.0.0.1[127.0.0.1]:%d: Connection refused", a.Postfix.SMTPPort)
	if n := mta.LogCount(refused); n == 0 {
		t.Errorf("the sending MTA never found A dead: the load did not meet the kill")
	} else {
		t.Logf("the sending MTA found A dead %d times and went on to B", n)
	}
	if n := messageIDs(a.Sink)[early.ID]; n != 1 {
		t.Errorf("released message delivered %d times, want once", n)
	}
	checkQuarantinedOnce(t, b, sent)
}

// TestServeWaitsForPostgres: `mailtower serve` started while PostgreSQL
// is down does not give up: it retries, Postfix tempfails the mail
// meanwhile (milter_default_action = tempfail), and once the database is
// up it serves and the mail flows.
func TestServeWaitsForPostgres(t *testing.T) {
	pg, url := startPostgres(t)
	e := NewEnv(t, EnvOptions{Domains: []string{"load.test"}, NoClamd: true, NoSpamd: true, Database: url})
	e.addDomain(t, "load.test")
	e.Mailtower.Stop()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- e.Mailtower.Start() }()
	time.Sleep(3 * time.Second)
	select {
	case err := <-started:
		t.Fatalf("mailtower serve did not wait for PostgreSQL: %v", err)
	default:
	}
	msg := message([]string{"From: <s@sender.example>", "To: <ann@load.test>", "Subject: after the wait"}, "Hello.\n")
	if r, err := send(e.Postfix.Addr(), "s@sender.example", []string{"ann@load.test"}, msg); err != nil || r.Code/100 != 4 {
		t.Errorf("while mailtower waits for PostgreSQL: %v, %v; want a 4xx", r, err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	e.sendOK(t, "s@sender.example", []string{"ann@load.test"}, msg)
	e.waitDelivered(t, "ann@load.test")
	if log := tailFile(e.Mailtower.Log, 200); !strings.Contains(log, "database unreachable at start, retrying") {
		t.Errorf("the wait is not logged:\n%s", log)
	}
}
