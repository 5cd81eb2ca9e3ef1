package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/smtptest"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store"
)

// quarantineFixture writes a config pointing [reinject] at sink and stores
// a spam and a virus message.
func quarantineFixture(t *testing.T, sink *smtptest.Server) (cfg string, spam, virus string, q *quarantine.Store) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg = filepath.Join(dir, "mailtower.toml")
	os.WriteFile(cfg, []byte("data_dir = \""+data+"\"\n[reinject]\nsmtp = \""+sink.Addr()+"\"\n"), 0o644)
	db, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q, err = quarantine.Open(context.Background(), db, data, retention(mustConfig(t, cfg).Defaults))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	q.SetClock(func() time.Time { return at })
	put := func(sender, subject, body string, cat scan.Category, rcpts ...string) string {
		var rs []quarantine.Recipient
		for _, r := range rcpts {
			rs = append(rs, quarantine.Recipient{Address: r, Category: cat, Reason: string(cat) + " reason", Score: 8})
		}
		id, err := q.Put(context.Background(), quarantine.Entry{
			Envelope: scan.Envelope{QueueID: "4XyZ1", Sender: sender, ClientAddr: "192.0.2.7", ClientHost: "mx.sender.example", Helo: "mx.sender.example"},
			Subject:  subject, HeaderFrom: sender, Raw: strings.NewReader(body), Size: int64(len(body)),
			Findings:   []scan.Finding{{Scanner: "spamd", Category: cat, Rule: "GTUBE", Score: 8, Reason: "test rule hit"}},
			Recipients: rs})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	spam = put("friend@sender.example", "Quarterly figures", "From: friend@sender.example\r\nSubject: Quarterly figures\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"+
		"--b\r\nContent-Type: application/pdf; name=\"q3.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
		scan.Spam, "a@dest.example", "b@dest.example")
	virus = put("friend@sender.example", "Invoice", "Subject: Invoice\r\n\r\nX5O!P\r\n", scan.Virus, "a@dest.example")
	return cfg, spam, virus, q
}

func mustConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	a, err := (&globals{configPath: path}).loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestQuarantineListSearchShow(t *testing.T) {
	cfg, spam, virus, _ := quarantineFixture(t, smtptest.New(t))
	out := mustRun(t, cfg, "quarantine", "list", "--search", "quarterly", "--json")
	var items []map[string]any
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(items) != 2 || items[0]["id"] != spam {
		t.Fatalf("search: %s", out)
	}
	for _, k := range []string{"id", "category", "recipient", "sender", "subject", "score", "reason", "received", "expires", "size", "state"} {
		if _, ok := items[0][k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
	out = mustRun(t, cfg, "quarantine", "list", "--category", "virus", "--since", "2026-11-20", "--until", "2026-11-21T00:00:00Z")
	if !strings.Contains(out, virus) || strings.Contains(out, spam) || !strings.HasPrefix(out, "ID ") {
		t.Fatalf("table: %s", out)
	}
	out = mustRun(t, cfg, "quarantine", "list", "--limit", "1", "--sort", "size")
	if !strings.Contains(out, "more: --cursor ") {
		t.Fatalf("a full page must print the next cursor: %s", out)
	}
	out = mustRun(t, cfg, "quarantine", "show", spam)
	for _, want := range []string{"queue id  4XyZ1", "mx.sender.example [192.0.2.7]", "<friend@sender.example>",
		"a@dest.example", "b@dest.example", "GTUBE", "test rule hit", "Subject: Quarterly figures",
		"application/pdf", "q3.pdf", "text/plain"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	raw := mustRun(t, cfg, "quarantine", "show", spam, "--raw")
	if !strings.HasPrefix(raw, "From: friend@sender.example\r\n") || !strings.HasSuffix(raw, "--b--\r\n") {
		t.Fatalf("--raw must be the stored file: %q", raw)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"quarantine", "list", "--category", "ham"}},
		{[]string{"quarantine", "list", "--since", "last tuesday"}},
		{[]string{"quarantine", "list", "--sort", "colour"}},
		{[]string{"quarantine", "show", "ffffffffffffffff"}},
	} {
		if _, err := run(t, cfg, tc.args...); err == nil {
			t.Errorf("%v: want an error", tc.args)
		}
	}
}

func TestQuarantineReleaseRememberDeletePurge(t *testing.T) {
	sink := smtptest.New(t)
	cfg, spam, virus, _ := quarantineFixture(t, sink)
	now := []string{"--now", "2026-11-21T10:00:00Z"}
	out := mustRun(t, cfg, append([]string{"quarantine", "release", spam, "--remember", "--by", "alice"}, now...)...)
	if !strings.Contains(out, "released to a@dest.example, b@dest.example") || !strings.Contains(out, "now allows <friend@sender.example>") ||
		!strings.Contains(out, "learned as not spam") {
		t.Fatalf("release: %s", out)
	}
	got := sink.Messages()
	if len(got) != 1 || got[0].From != "<friend@sender.example>" || strings.Join(got[0].To, ",") != "<a@dest.example>,<b@dest.example>" ||
		!strings.HasPrefix(got[0].Data, "X-Mailtower-Released: by alice at 2026-11-21T10:00:00Z from quarantine "+spam+"\r\nFrom: friend@sender.example\r\n") {
		t.Fatalf("at the sink: %q", got)
	}
	rules := mustRun(t, cfg, "quarantine", "list", "--all", "--json")
	if !strings.Contains(rules, `"state": "released"`) || !strings.Contains(rules, `"state_by": "alice"`) {
		t.Fatalf("released rows: %s", rules)
	}
	out = mustRun(t, cfg, append([]string{"quarantine", "release", spam}, now...)...)
	if !strings.Contains(out, "skipped: already released by alice") || len(sink.Messages()) != 1 {
		t.Fatalf("second release: %s (%d at sink)", out, len(sink.Messages()))
	}
	if out, err := run(t, cfg, append([]string{"quarantine", "release", virus}, now...)...); err == nil || !strings.Contains(out, "--force") {
		t.Fatalf("virus without --force: %v %s", err, out)
	}
	sink.Reply("550 5.1.1 <a@dest.example>: Recipient address rejected", "250 ok")
	out, err := run(t, cfg, append([]string{"quarantine", "release", virus, "--force"}, now...)...)
	if err == nil || !strings.Contains(out, "550") || !strings.Contains(out, "still quarantined") {
		t.Fatalf("refused by Postfix: %v %s", err, out)
	}
	out, err = run(t, cfg, "quarantine", "delete", "--category", "virus")
	if err == nil || !strings.Contains(out, "1 quarantined item(s) match; nothing deleted") || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("delete by filter without --yes: %v %s", err, out)
	}
	mustRun(t, cfg, "quarantine", "delete", "--category", "virus", "--yes")
	if out, err := run(t, cfg, append([]string{"quarantine", "release", virus, "--force"}, now...)...); err == nil || !strings.Contains(out, "deleted") {
		t.Fatalf("release of a deleted message: %v %s", err, out)
	}
	// day 35: both messages expired (spam 30 days, virus 14)
	out = mustRun(t, cfg, "quarantine", "purge", "--dry-run", "--now", "2026-12-25T10:00:00Z")
	if !strings.Contains(out, "would remove 3 expired item(s), 2 message(s), 1 file(s)") {
		t.Fatalf("dry run: %s", out)
	}
	out = mustRun(t, cfg, "quarantine", "purge", "--now", "2026-12-25T10:00:00Z")
	if !strings.Contains(out, "removed 3 expired item(s), 2 message(s), 1 file(s)") {
		t.Fatalf("purge: %s", out)
	}
	if out, err := run(t, cfg, "quarantine", "release", spam); err == nil || !strings.Contains(out, "purged") {
		t.Fatalf("release of a purged message: %v %s", err, out)
	}
}

func TestDomainRetentionFlags(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "dest.example", "--relay", "mx.dest.example")
	out := mustRun(t, cfg, "domain", "set", "dest.example", "--virus-retention", "7d")
	if !strings.Contains(out, "virus retention 7d") {
		t.Fatalf("set: %s", out)
	}
	out = mustRun(t, cfg, "domain", "show", "dest.example")
	for _, want := range []string{"virus-retention", "7d", "(domain)", "spam-retention", "30d"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if _, err := run(t, cfg, "domain", "set", "dest.example", "--spam-retention", "10m"); err == nil {
		t.Fatal("a retention under an hour must be refused")
	}
	if _, err := run(t, cfg, "domain", "set", "nowhere.example", "--spam-retention", "3d"); err == nil {
		t.Fatal("an unknown domain must be refused")
	}
	mustRun(t, cfg, "domain", "set", "dest.example", "--virus-retention", "default")
	if out := mustRun(t, cfg, "domain", "show", "dest.example", "--json"); strings.Contains(out, `"source": "domain"`) {
		t.Fatalf("default must clear the override: %s", out)
	}
}

// Issue 12: a domain's retention overrides must not outlive the domain.
func TestDomainRemoveClearsRetention(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "x.test", "--relay", "mx.x.test")
	mustRun(t, cfg, "domain", "set", "x.test", "--virus-retention", "7d")
	mustRun(t, cfg, "domain", "remove", "x.test", "--purge")
	mustRun(t, cfg, "domain", "add", "x.test", "--relay", "mx.x.test")
	if out := mustRun(t, cfg, "domain", "show", "x.test", "--json"); strings.Contains(out, `"source": "domain"`) {
		t.Fatalf("the old domain's retention override came back:\n%s", out)
	}
}

// TestQuarantineShowUnreadableFindings: a message whose stored findings
// cannot be decoded is still shown (and so can be released or deleted),
// marked, instead of failing the command.
func TestQuarantineShowUnreadableFindings(t *testing.T) {
	cfg, spam, _, _ := quarantineFixture(t, smtptest.New(t))
	db, err := store.Open(filepath.Join(filepath.Dir(cfg), "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE quarantine_messages SET findings = '[{"scanner": ' WHERE id = ?`, spam); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := mustRun(t, cfg, "quarantine", "show", spam)
	for _, want := range []string{"unreadable findings", "a@dest.example", "Subject: Quarterly figures"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, cfg, "quarantine", "show", spam, "--json"); !strings.Contains(out, `"findings_unreadable": true`) {
		t.Errorf("--json lacks findings_unreadable:\n%s", out)
	}
}
