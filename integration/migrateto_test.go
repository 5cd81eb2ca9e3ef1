//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrateToPostgres: a SQLite gateway with a domain, a user, an
// alias, a rule, a greylisted triplet and a spam message quarantined
// through Postfix is stopped and moved with `db migrate-to`; started on
// PostgreSQL (its message files removed, so the bodies must come from
// the database) it accepts the user and the alias at RCPT, still blocks
// the rule's sender, lets the greylisted triplet through on its retry,
// lists the quarantined message and releases it to the sink once.
func TestMigrateToPostgres(t *testing.T) {
	_, url := startPostgres(t)
	e := NewEnv(t, EnvOptions{
		SQLite:  true, // the source of the move, also when the suite runs on PostgreSQL
		Domains: []string{"unused.test"}, NoClamd: true,
		MailtowerExtra: "[greylist]\ndelay = \"" + greylistDelay.String() + "\"\nretry_window = \"1h\"\n",
		PostfixMain: []string{"relay_domains", "transport_maps", "relay_recipient_maps",
			"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_policy_service_default_action"},
	})
	e.addDomain(t, "valid.test", "--spam-action", "quarantine")
	e.addDomain(t, "catch.test", "--catch-all")
	e.cli(t, "user", "add", "bob@valid.test")
	e.cli(t, "alias", "add", "info@valid.test")
	e.cli(t, "rule", "add", "global", "--block-sender", "blocked@sender.example")
	awaitSettingsVisible()

	from, grey := "newsletter@sender.example", "anyone@catch.test"
	transact(t, e.Postfix.Addr(), outsideIP, from, []string{grey}, 0).want(t, grey, 450, "Greylisted")
	msg := message([]string{"From: <spammer@sender.example>", "To: <bob@valid.test>", "Subject: buy now"},
		"Special offer!\n"+gtube+"\n")
	e.sendOK(t, "spammer@sender.example", []string{"bob@valid.test"}, msg)
	var items []QuarantineItem
	if !waitFor(waitLimit, func() bool {
		var err error
		items, err = e.Mailtower.Quarantine("spam")
		return err == nil && len(items) == 1
	}) {
		t.Fatalf("on SQLite: spam quarantine %+v, want one message", items)
	}
	id := strings.Trim(string(items[0].ID), `"`)

	if out, err := e.Mailtower.CLI("db", "migrate-to", url); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("migrate-to with the gateway running: %v\n%s; want a refusal", err, out)
	}
	e.Mailtower.Stop()
	out := e.cli(t, "db", "migrate-to", url)
	t.Logf("db migrate-to:\n%s", out)
	for _, want := range []string{"users ", "aliases ", "greylist_triplets ", "quarantine_items ", "1 messages"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate-to output lacks %q", want)
		}
	}
	if _, err := e.Mailtower.CLI("db", "migrate-to", url); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second migrate-to into the full database: %v, want a refusal", err)
	}

	// The admin's part: point the configuration at PostgreSQL, restart.
	conf, err := os.ReadFile(e.Mailtower.Config)
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte("database = \"" + url + "\"\n" + string(conf))
	if err := os.WriteFile(e.Mailtower.Config, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(e.Mailtower.DataDir, "quarantine")); err != nil {
		t.Fatal(err)
	}
	if err := e.Mailtower.Start(); err != nil {
		t.Fatal(err)
	}

	// Start waits for the milter; the policy daemon and the socketmap
	// (Postfix's relay_domains and recipient maps) come up next to it,
	// and Postfix's daemons that found them down a moment ago retry.
	rcpts := []string{"bob@valid.test", "info@valid.test", "nobody@valid.test"}
	var tr transaction
	waitFor(15*time.Second, func() bool {
		tr = transact(t, e.Postfix.Addr(), outsideIP, "s@sender.example", rcpts, 0)
		return tr.Rcpt["bob@valid.test"].Code/100 != 4
	})
	tr.want(t, "bob@valid.test", 250, "")
	tr.want(t, "info@valid.test", 250, "")
	tr.want(t, "nobody@valid.test", 550, "5.1.1")
	transact(t, e.Postfix.Addr(), outsideIP, "blocked@sender.example", []string{"bob@valid.test"}, 0).want(t, "bob@valid.test", 550, "block-sender blocked@sender.example")
	time.Sleep(greylistDelay) // the triplet greylisted on SQLite is now due
	transact(t, e.Postfix.Addr(), outsideIP, from, []string{grey}, 0).want(t, grey, 250, "")

	items, err = e.Mailtower.Quarantine("spam")
	if err != nil || len(items) != 1 || strings.Trim(string(items[0].ID), `"`) != id {
		t.Fatalf("on PostgreSQL: spam quarantine %+v (%v), want message %s", items, err, id)
	}
	before := len(e.deliveredTo("bob@valid.test"))
	e.cli(t, "quarantine", "release", id)
	if !waitFor(waitLimit, func() bool { return len(e.deliveredTo("bob@valid.test")) > before }) {
		t.Fatal("released message not delivered")
	}
	e.waitQueueEmpty(t)
	got := e.deliveredTo("bob@valid.test")
	released := 0
	for _, m := range got {
		if strings.Contains(string(m.Data), "buy now") {
			released++
		}
	}
	if released != 1 {
		t.Fatalf("released message delivered %d times, want once", released)
	}
}
