//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/history"
)

// historyRows runs `mailtower history --json args...`.
func (e *Env) historyRows(t *testing.T, args ...string) []history.Row {
	t.Helper()
	var rows []history.Row
	out := e.cli(t, append([]string{"history", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("history --json: %v\n%s", err, out)
	}
	return rows
}

// story runs `mailtower history show --json REF`.
func (e *Env) story(t *testing.T, ref string) history.Story {
	t.Helper()
	var st history.Story
	out := e.cli(t, "history", "show", "--json", ref)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("history show --json: %v\n%s", err, out)
	}
	return st
}

// waitRow waits until `history args...` lists a row for rcpt that ok
// accepts, and returns it. Rows come from a batched writer and delivery
// results from the log follower: both arrive shortly after the fact.
func (e *Env) waitRow(t *testing.T, rcpt string, ok func(history.Row) bool, args ...string) history.Row {
	t.Helper()
	var last []history.Row
	var found history.Row
	if !waitFor(waitLimit, func() bool {
		last = e.historyRows(t, append([]string{"--recipient", rcpt}, args...)...)
		for _, r := range last {
			if ok(r) {
				found = r
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no history row for %s as wanted within %s; last: %+v", rcpt, waitLimit, last)
	}
	return found
}

func status(s string) func(history.Row) bool {
	return func(r history.Row) bool { return r.Status == s }
}

// TestHistoryCleanSent: a clean message is in the history with its
// envelope and headers, and `sent` with the customer server's reply.
func TestHistoryCleanSent(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true, NoSpamd: true})
	e.addDomain(t, "clean.test")
	const rcpt = "bob@clean.test"
	e.sendOK(t, "alice@sender.example", []string{rcpt}, message([]string{"From: Alice <alice@sender.example>",
		"To: <" + rcpt + ">", "Subject: Quarterly figures", "Message-ID: <q1@sender.example>"}, "Hello Bob.\n"))
	e.waitDelivered(t, rcpt)
	r := e.waitRow(t, rcpt, status("sent"))
	if r.Verdict != "clean" || r.Action != "pass" || r.Sender != "alice@sender.example" || r.Subject != "Quarterly figures" ||
		r.QueueID == "" || r.DeliveryQueue != r.QueueID {
		t.Fatalf("row %+v", r)
	}
	st := e.story(t, fmt.Sprint(r.ID))
	if st.MessageID != "<q1@sender.example>" || st.HeaderFrom != "Alice <alice@sender.example>" || st.ClientAddr != "127.0.0.1" {
		t.Errorf("story %+v", st)
	}
	if len(st.Deliveries) != 1 {
		t.Fatalf("deliveries %+v, want one", st.Deliveries)
	}
	d := st.Deliveries[0]
	if d.Status != "sent" || d.Reply != "250 2.0.0 OK: queued" || d.DSN != "2.0.0" || d.QueueID != r.QueueID ||
		!strings.HasSuffix(d.Relay, fmt.Sprintf(":%d", e.Sink.Port)) {
		t.Errorf("delivery %+v, want sent to the sink (port %d) with its reply", d, e.Sink.Port)
	}
	for _, q := range []struct{ name, flag, value string }{
		{"queue id", "--queue-id", r.QueueID}, {"message id", "--message-id", "q1@sender.example"},
		{"subject", "--subject", "quarterly"}, {"sender", "--sender", "alice@sender.example"},
		{"sender domain", "--sender", "@sender.example"}, {"domain", "--domain", "clean.test"}, {"status", "--status", "sent"},
	} {
		if rows := e.historyRows(t, q.flag, q.value); len(rows) == 0 || rows[0].ID != r.ID {
			t.Errorf("search by %s (%s %s): %+v", q.name, q.flag, q.value, rows)
		}
	}
}

// TestHistoryCustomerDown: while the customer's server is down the
// history shows `deferred`; once it is back and Postfix retried, `sent`,
// with both attempts in the story. The deferral is counted for the relay.
func TestHistoryCustomerDown(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true, NoSpamd: true})
	e.addDomain(t, "down.test")
	const rcpt = "carl@down.test"
	e.Sink.Stop()
	e.sendOK(t, "alice@sender.example", []string{rcpt}, message([]string{"From: <alice@sender.example>",
		"To: <" + rcpt + ">", "Subject: are you there"}, "Hello.\n"))
	r := e.waitRow(t, rcpt, status("deferred"))
	if rows := e.historyRows(t, "--status", "deferred", "--domain", "down.test"); len(rows) != 1 {
		t.Errorf("--status deferred: %+v", rows)
	}
	if err := e.Sink.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Postfix.Flush(); err != nil {
		t.Fatal(err)
	}
	e.waitDelivered(t, rcpt)
	e.waitRow(t, rcpt, status("sent"))
	st := e.story(t, r.QueueID)
	var seq []string
	for _, d := range st.Deliveries {
		seq = append(seq, d.Status)
	}
	if len(seq) < 2 || seq[0] != "deferred" || seq[len(seq)-1] != "sent" || !strings.Contains(st.Deliveries[0].Reply, "Connection refused") {
		t.Fatalf("deliveries %v (%+v), want deferred (connection refused) ... sent", seq, st.Deliveries)
	}
}

// TestHistoryRefusals: the policy daemon's refusals at RCPT are in the
// history with their reason: a greylisted sender and an unknown user.
func TestHistoryRefusals(t *testing.T) {
	e := newPolicyEnv(t)
	e.addDomain(t, "catch.test", "--catch-all")
	e.addDomain(t, "valid.test")
	e.cli(t, "user", "add", "bob@valid.test")
	tr := transact(t, e.Postfix.Addr(), outsideIP, "news@sender.example", []string{"anyone@catch.test", "nobody@valid.test"}, 0)
	tr.want(t, "anyone@catch.test", 450, "4.7.1")
	tr.want(t, "nobody@valid.test", 550, "5.1.1")
	grey := e.waitRow(t, "anyone@catch.test", func(r history.Row) bool { return r.Verdict == history.VerdictRefused })
	if grey.Action != "greylisted" || !strings.Contains(grey.Reason, "4.7.1") || grey.Sender != "news@sender.example" {
		t.Errorf("greylisted row %+v", grey)
	}
	unknown := e.waitRow(t, "nobody@valid.test", func(r history.Row) bool { return r.Verdict == history.VerdictRefused })
	if unknown.Action != "unknown-user" || !strings.Contains(unknown.Reason, "5.1.1") {
		t.Errorf("unknown-user row %+v", unknown)
	}
	st := e.story(t, fmt.Sprint(unknown.ID))
	if st.Stage != history.StageRcpt || st.ClientAddr != outsideIP || st.Helo != "sender.example" {
		t.Errorf("refusal story %+v", st)
	}
	if rows := e.historyRows(t, "--verdict", "refused", "--action", "greylisted"); len(rows) != 1 {
		t.Errorf("--action greylisted: %+v", rows)
	}
}

// TestHistoryReleaseLinked: a quarantined message, once released, links
// to the queue id Postfix gave the released copy, and that copy's
// delivery is in its story.
func TestHistoryReleaseLinked(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoClamd: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	const rcpt = "carol@quarantine.test"
	e.sendOK(t, "alice@sender.example", []string{rcpt}, message([]string{"From: <alice@sender.example>",
		"To: <" + rcpt + ">", "Subject: Pineapple shipment"}, "Dear Carol,\n"+gtube+"\n"))
	r := e.waitRow(t, rcpt, func(r history.Row) bool { return r.Action == "quarantine" })
	if r.Verdict != "spam" || r.QuarantineID == "" || r.Status != "" || r.Score < 5 {
		t.Fatalf("quarantined row %+v", r)
	}
	if _, err := e.Mailtower.CLI("quarantine", "release", r.QuarantineID, "--by", "tester"); err != nil {
		t.Fatal(err)
	}
	e.waitDelivered(t, rcpt)
	sent := e.waitRow(t, rcpt, status("sent"))
	if sent.ID != r.ID || sent.DeliveryQueue == "" || sent.DeliveryQueue == r.QueueID {
		t.Fatalf("after release %+v, want the same message delivered in a new queue id", sent)
	}
	st := e.story(t, sent.DeliveryQueue)
	if st.ID != r.ID || len(st.Events) != 1 || st.Events[0].Kind != history.EventReleased || st.Events[0].QueueID != sent.DeliveryQueue ||
		st.Events[0].Detail != "by tester" {
		t.Fatalf("story events %+v", st.Events)
	}
	if len(st.Deliveries) != 1 || st.Deliveries[0].QueueID != sent.DeliveryQueue || st.Deliveries[0].Status != "sent" {
		t.Fatalf("deliveries %+v, want the released copy sent", st.Deliveries)
	}
	if rows := e.historyRows(t, "--queue-id", sent.DeliveryQueue); len(rows) != 1 || rows[0].ID != r.ID {
		t.Errorf("--queue-id of the released copy: %+v", rows)
	}
}
