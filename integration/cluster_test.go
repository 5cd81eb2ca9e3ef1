//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/testmail"
	"github.com/mailtower/mailtower/store/pgtest"
)

// startPostgres runs a private PostgreSQL cluster for t and returns it
// with the URL of an empty database; it stops when t ends.
func startPostgres(t *testing.T) (*pgtest.Server, string) {
	t.Helper()
	if !pgtest.Available() {
		t.Skip("postgresql-15 is not installed (scripts/install-deps.sh)")
	}
	dir, err := os.MkdirTemp("", "mailtower-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgtest.Start(dir)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Log(err)
		}
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	url, err := pg.CreateDatabase(context.Background(), "mailtower")
	if err != nil {
		t.Fatal(err)
	}
	return pg, url
}

// newClusterEnv starts one gateway of a cluster: Postfix with the policy
// service and socketmaps (recipients and domains come from the shared
// database), the milter, on the PostgreSQL database url.
func newClusterEnv(t *testing.T, url string) *Env {
	t.Helper()
	return NewEnv(t, EnvOptions{
		Domains: []string{"unused.test"}, NoClamd: true, NoSpamd: true, Database: url,
		MailtowerExtra: fmt.Sprintf("[greylist]\ndelay = %q\nretry_window = \"1h\"\n", greylistDelay.String()),
		PostfixMain: []string{"relay_domains", "transport_maps", "relay_recipient_maps",
			"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_policy_service_default_action"},
	})
}

// TestClusterTwoGateways: two complete gateways (each its Postfix and
// mailtower serve) on one PostgreSQL database share their state. A user
// added with the CLI on A is accepted at RCPT on B; a sender greylisted
// via A passes via B after the delay; a message quarantined on A is
// listed and released from B and reaches the relay once; with PostgreSQL
// stopped the gateway tempfails (4xx) and takes mail again by itself once
// it is back.
func TestClusterTwoGateways(t *testing.T) {
	pg, url := startPostgres(t)
	a := newClusterEnv(t, url)
	b := newClusterEnv(t, url)
	// Every domain relays to A's sink: one place to count deliveries.
	relay := a.Sink.Addr()
	domain := func(name string, flags ...string) {
		t.Helper()
		a.cli(t, append([]string{"domain", "add", name, "--relay", relay}, flags...)...)
	}

	t.Run("user added on A is accepted on B", func(t *testing.T) {
		domain("valid.test")
		before := transact(t, b.Postfix.Addr(), outsideIP, "s@sender.example", []string{"bob@valid.test"}, 0)
		before.want(t, "bob@valid.test", 550, "")
		a.cli(t, "user", "add", "bob@valid.test")
		awaitSettingsVisible() // the documented second
		after := transact(t, b.Postfix.Addr(), outsideIP, "s@sender.example", []string{"bob@valid.test"}, 0)
		after.want(t, "bob@valid.test", 250, "")
		if !waitFor(waitLimit, func() bool { return len(a.deliveredTo("bob@valid.test")) == 1 }) {
			t.Fatal("bob@valid.test: not delivered via B")
		}
	})

	t.Run("greylisted via A passes via B", func(t *testing.T) {
		domain("catch.test", "--catch-all")
		from, rcpt := "newsletter@sender.example", "anyone@catch.test"
		first := transact(t, a.Postfix.Addr(), outsideIP, from, []string{rcpt}, 0)
		first.want(t, rcpt, 450, "Greylisted")
		time.Sleep(greylistDelay + time.Second) // the retry, this time to the other MX
		retry := transact(t, b.Postfix.Addr(), outsideIP, from, []string{rcpt}, 0)
		retry.want(t, rcpt, 250, "")
		if retry.Data.Code != 250 {
			t.Fatalf("retry via B: end of DATA %v", retry.Data)
		}
	})

	t.Run("quarantined on A, released from B", func(t *testing.T) {
		domain("quarantine.test", "--content-action", "quarantine")
		a.cli(t, "user", "add", "carol@quarantine.test")
		a.cli(t, "rule", "add", "global", "--block-filetype", "exe")
		msg := withFile("Cluster invoice", "carol@quarantine.test", "invoice.pdf", "application/pdf", testmail.PE(false))
		a.sendOK(t, "billing@sender.example", []string{"carol@quarantine.test"}, msg)
		var items []QuarantineItem
		if !waitFor(waitLimit, func() bool {
			var err error
			items, err = b.Mailtower.Quarantine("content")
			return err == nil && len(items) == 1
		}) {
			t.Fatalf("B does not list the message quarantined on A: %+v", items)
		}
		id := strings.Trim(string(items[0].ID), `"`)
		if out, err := b.Mailtower.CLI("quarantine", "show", "--raw", id); err != nil || !strings.Contains(out, "Cluster invoice") {
			t.Fatalf("show on B: %v\n%.300s", err, out)
		}
		b.cli(t, "quarantine", "release", id)
		if !waitFor(waitLimit, func() bool { return len(a.deliveredTo("carol@quarantine.test")) > 0 }) {
			t.Fatal("released message not delivered")
		}
		b.waitQueueEmpty(t)
		a.waitQueueEmpty(t)
		if n := len(a.deliveredTo("carol@quarantine.test")); n != 1 {
			t.Fatalf("released message delivered %d times, want once", n)
		}
	})

	t.Run("PostgreSQL down: tempfail, then recovery", func(t *testing.T) {
		if err := pg.Stop(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // past the cached settings generation
		down := transact(t, a.Postfix.Addr(), outsideIP, "s@sender.example", []string{"bob@valid.test"}, 0)
		r := down.Rcpt["bob@valid.test"]
		if down.Data.Code != 0 && down.Data.Code != 250 {
			r = down.Data
		}
		if r.Code < 400 || r.Code >= 500 {
			t.Fatalf("with PostgreSQL down: RCPT %v, end of DATA %v; want a 4xx", down.Rcpt["bob@valid.test"], down.Data)
		}
		t.Logf("with PostgreSQL down: %d %s", r.Code, r.Text)
		if err := pg.Start(); err != nil {
			t.Fatal(err)
		}
		var up transaction
		if !waitFor(30*time.Second, func() bool {
			up = transact(t, a.Postfix.Addr(), outsideIP, "s@sender.example", []string{"bob@valid.test"}, 0)
			return up.Rcpt["bob@valid.test"].Code == 250 && up.Data.Code == 250
		}) {
			t.Fatalf("after PostgreSQL is back: %+v", up)
		}
	})
}
