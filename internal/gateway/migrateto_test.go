package gateway

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
	"github.com/mailtower/mailtower/web/audit"
)

// sqliteState is a SQLite gateway with some state in most stores.
type sqliteState struct {
	db  *store.DB
	dir string
	// qid is a quarantined message, body its content; gone is one whose
	// file was removed.
	qid, body, gone string
}

func sqliteGateway(t *testing.T, ctx context.Context) sqliteState {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := settings.NewSQLStore(ctx, db)
	must(err)
	must(st.AddDomain(ctx, settings.Domain{Name: "x.test", Relay: "[127.0.0.1]:25", CatchAll: true}))
	must(st.AddUser(ctx, settings.User{Address: "alice@x.test", Domain: "x.test"}))
	al, err := settings.NewAliasStore(ctx, db)
	must(err)
	must(al.Add(ctx, settings.Alias{Address: "info@x.test", Domain: "x.test"}))
	for _, v := range []string{"a@spam.test", "b@spam.test"} {
		_, err = st.AddRule(ctx, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeGlobal}, Kind: settings.BlockSender, Value: v})
		must(err)
	}
	gl, err := greylist.NewSQLStore(ctx, db)
	must(err)
	must(gl.AddAllow(ctx, greylist.Allow{Net: netip.MustParsePrefix("192.0.2.0/24")}))
	q, err := quarantine.Open(ctx, db, dir, Retention(testDefaults()))
	must(err)
	body := "Subject: buy now\r\nFrom: s@spam.test\r\n\r\nspam body\r\n"
	put := func(subject, raw string) string {
		id, err := q.Put(ctx, quarantine.Entry{
			Envelope: scan.Envelope{QueueID: "Q1", Sender: "s@spam.test", ClientAddr: "192.0.2.1", Helo: "h"},
			Subject:  subject, Raw: strings.NewReader(raw), Size: int64(len(raw)),
			Findings:   []scan.Finding{{Scanner: "x", Category: scan.Spam, Rule: "R", Reason: "why"}},
			Recipients: []quarantine.Recipient{{Address: "alice@x.test", Category: scan.Spam, Reason: "spam", Score: 9}},
		})
		must(err)
		return id
	}
	qid := put("buy now", body)
	gone := put("gone", "Subject: gone\r\n\r\nother\r\n")
	items, err := q.Get(ctx, gone)
	must(err)
	must(os.Remove(q.Path(items[0].Path))) // a damaged entry: listed, its file gone
	b, err := bayes.Open(ctx, db, nil)
	must(err)
	_, _, err = b.LearnHam(ctx, strings.NewReader("Subject: hello\r\n\r\nlunch tomorrow at noon\r\n"))
	must(err)
	now := time.Now()
	must(gl.Save(ctx, []greylist.Triplet{{Client: "198.51.100.0/24", Sender: "n@news.test", Recipient: "any@x.test",
		FirstSeen: now, LastSeen: now, Attempts: 1}}, []greylist.Client{{Net: "203.0.113.0/24", Passes: 2, LastSeen: now}}))
	h, err := history.Open(ctx, db)
	must(err)
	must(h.Write(ctx, []history.Message{{Time: now, Stage: history.StageData, QueueID: "4XyZ", Sender: "s@spam.test",
		Subject: "Grüße", Size: 100, Score: 9.5,
		Recipients: []history.Recipient{{Address: "alice@x.test", Verdict: "spam", Action: "quarantine", Score: 9.5}}}}))
	// SQLite keeps text that is not UTF-8 (history cleans its input; an
	// older version or a hand edit may not have): PostgreSQL refuses it.
	_, err = db.ExecContext(ctx, `UPDATE history_messages SET subject = CAST(x'4772fc6e' AS TEXT)`)
	must(err)
	au, err := audit.Open(ctx, db)
	must(err)
	must(au.Record(ctx, audit.Entry{At: now, Actor: "admin", Action: "login", OK: true}))
	_, err = db.Lease(ctx, "purge", "old/1", now, time.Hour)
	must(err)
	return sqliteState{db: db, dir: dir, qid: qid, body: body, gone: gone}
}

func testDefaults() config.Defaults { return config.Default().Defaults }

// TestMigrateTo copies a populated SQLite gateway into PostgreSQL: every
// table's rows, the message bodies, and the sequences after the copied
// ids; a second run into the now full database is refused unless forced.
func TestMigrateTo(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("needs PostgreSQL: scripts/test-postgres.sh ./internal/gateway/")
	}
	ctx := context.Background()
	s := sqliteGateway(t, ctx)
	src, dir := s.db, s.dir
	dst := storetest.Open(t)
	rep, err := Migrate(ctx, src, dst, dir, MigrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	copied := map[string]int64{}
	for _, c := range rep.Tables {
		var want, got int64
		if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+c.Table+`"`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if err := dst.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+c.Table+`"`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if c.Rows != want || got != want {
			t.Errorf("%s: SQLite %d rows, reported %d, PostgreSQL %d", c.Table, want, c.Rows, got)
		}
		copied[c.Table] = got
		if want := map[string]int64{"history_messages": 1}[c.Table]; c.Repaired != want {
			t.Errorf("%s: %d text values mended, want %d (the subject with a byte that is not UTF-8)", c.Table, c.Repaired, want)
		}
	}
	t.Logf("copied: %v; skipped %v; hooks %q", copied, rep.Skipped, rep.Hooks)
	for _, tb := range []string{"domains", "users", "aliases", "rules", "greylist_allow", "greylist_triplets",
		"greylist_clients", "quarantine_messages", "quarantine_items", "bayes_tokens", "settings_generation",
		"history_messages", "history_recipients", "audit_log", "leases"} {
		if copied[tb] == 0 {
			t.Errorf("table %s: no rows copied (copied: %v)", tb, copied)
		}
	}
	if got := strings.Join(rep.Retired, " "); got != "quarantine_domain_retention" {
		t.Errorf("retired tables = %q", got)
	}
	if got := strings.Join(rep.Dropped, " "); got != "quarantine_messages.seq" {
		t.Errorf("dropped columns = %q, want the quarantine's FTS key only", got)
	}
	if len(rep.Hooks) != 1 || !strings.Contains(rep.Hooks[0], "1 messages") || !strings.Contains(rep.Hooks[0], "1 files missing") {
		t.Errorf("hooks = %q", rep.Hooks)
	}
	checkOnPostgres(t, ctx, dst, s)
	if _, err := Migrate(ctx, src, dst, dir, MigrateOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("second run: err = %v, want a refusal", err)
	}
	if _, err := Migrate(ctx, src, dst, dir, MigrateOptions{Force: true}); err != nil {
		t.Fatalf("forced run: %v", err)
	}
	var n int
	if err := dst.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Errorf("users after a forced run: %d, %v", n, err)
	}
}

// checkOnPostgres reads the copy through the stores, as a gateway on
// PostgreSQL would, and adds rows that must not collide with copied ids.
func checkOnPostgres(t *testing.T, ctx context.Context, dst *store.DB, s sqliteState) {
	t.Helper()
	st, err := settings.NewSQLStore(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := st.User(ctx, "alice@x.test"); err != nil || u.Domain != "x.test" {
		t.Errorf("user on PostgreSQL: %+v, %v", u, err)
	}
	r, err := st.AddRule(ctx, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeGlobal}, Kind: settings.BlockSender, Value: "c@spam.test"})
	if err != nil || r.ID != 3 {
		t.Errorf("new rule after the copy: id %d, %v; want 3 (the sequence continues after the copied ids)", r.ID, err)
	}
	q, err := quarantine.Open(ctx, dst, t.TempDir(), Retention(testDefaults()))
	if err != nil {
		t.Fatal(err)
	}
	items, err := q.Get(ctx, s.qid)
	if err != nil || len(items) != 1 {
		t.Fatalf("quarantined message on PostgreSQL: %v, %v", items, err)
	}
	f, err := q.OpenMessage(ctx, items[0])
	if err != nil {
		t.Fatalf("body on PostgreSQL (another data directory): %v", err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != s.body {
		t.Errorf("body = %q, want %q", got, s.body)
	}
	gone, err := q.Get(ctx, s.gone)
	if err != nil || len(gone) != 1 {
		t.Fatalf("entry whose file was gone: %v, %v", gone, err)
	}
	if _, err := q.OpenMessage(ctx, gone[0]); !errors.Is(err, quarantine.ErrFileMissing) {
		t.Errorf("the entry whose file was gone: %v, want ErrFileMissing", err)
	}
}
