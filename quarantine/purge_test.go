package quarantine

import (
	"context"
	"errors"
	"github.com/mailtower/mailtower/store/storetest"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// fileExists reports whether the stored message of rel is there: its
// file, or on PostgreSQL its body row.
func fileExists(s *Store, rel string) bool {
	if id, ok := strings.CutPrefix(rel, dbPathPrefix); ok {
		var n int
		s.db.QueryRow(`SELECT COUNT(*) FROM quarantine_bodies WHERE message_id = ?`, id).Scan(&n)
		return n == 1
	}
	_, err := os.Stat(s.Path(rel))
	return err == nil
}

// filesOnly skips a test of the message files and their reconciliation
// on PostgreSQL, where bodies are rows written and deleted with the index.
func filesOnly(t *testing.T) {
	if storetest.Postgres() {
		t.Skip("message files: SQLite only (PostgreSQL keeps bodies as rows)")
	}
}

func TestDeleteByIDAndFilter(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	ids := fill(t, s)
	items, _ := s.Get(ctx, ids[0])
	// one of two recipients: the file stays for the other
	two := put(t, s, "s@example.org", "two", "Subject: two\r\n\r\n",
		Recipient{Address: "a@x.test", Category: scan.Spam}, Recipient{Address: "b@x.test", Category: scan.Spam})
	twoItems, _ := s.Get(ctx, two)
	d, err := s.Delete(ctx, two, []string{"a@x.test"}, "admin")
	if err != nil || d.FileRemoved || !fileExists(s, twoItems[0].Path) || states(t, s, two) != "a@x.test=deleted b@x.test=quarantined" {
		t.Fatalf("partial delete %+v %v: %s", d, err, states(t, s, two))
	}
	d, err = s.Delete(ctx, two, nil, "admin")
	if err != nil || !d.FileRemoved || fileExists(s, twoItems[0].Path) || len(d.Skipped) != 1 {
		t.Fatalf("full delete %+v %v", d, err)
	}
	if _, err := s.Delete(ctx, "nope", nil, "admin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	// by filter: both bob@a.test messages
	n, files, err := s.DeleteMatching(ctx, Filter{Recipient: "bob@a.test", Limit: 1}, "admin")
	if err != nil || n != 2 || files != 2 || fileExists(s, items[0].Path) {
		t.Fatalf("delete matching: %d items, %d files, %v", n, files, err)
	}
	left, _ := s.List(ctx, Filter{})
	if firstWords(left) != "two Payroll Your" && firstWords(left) != "Payroll Your" {
		t.Fatalf("left %q", firstWords(left))
	}
	all, _ := s.List(ctx, Filter{States: AllStates, Recipient: "bob@a.test"})
	if len(all) != 2 || all[0].State != StateDeleted || all[0].StateBy != "admin" {
		t.Fatalf("deleted rows must stay visible with their author: %+v", all)
	}
}

func TestPurgeRemovesExactlyWhatExpired(t *testing.T) {
	filesOnly(t)
	s, dir := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return t0 })
	virus := put(t, s, "v@example.org", "v", "Subject: v\r\n\r\n", Recipient{Address: "a@x.test", Category: scan.Virus})
	mixed := put(t, s, "m@example.org", "m", "Subject: m\r\n\r\n",
		Recipient{Address: "a@x.test", Category: scan.Virus}, Recipient{Address: "b@x.test", Category: scan.Spam})
	spam := put(t, s, "s@example.org", "s", "Subject: s\r\n\r\n", Recipient{Address: "a@x.test", Category: scan.Spam})
	stuck := put(t, s, "r@example.org", "r", "Subject: r\r\n\r\n", Recipient{Address: "a@x.test", Category: scan.Virus})
	s.db.Exec(`UPDATE quarantine_items SET state = 'releasing', state_changed = ? WHERE message_id = ?`, t0.Unix(), stuck)
	mixedItems, _ := s.Get(ctx, mixed)

	// orphans: an old file without row, a fresh one (a Put in progress), an old temp file
	orphanDir := filepath.Join(dir, "quarantine", "2026", "09", "01")
	os.MkdirAll(orphanDir, 0o750)
	old := filepath.Join(orphanDir, "deadbeefdeadbeef.eml")
	os.WriteFile(old, []byte("x"), 0o640)
	os.Chtimes(old, t0, t0)
	tmp := filepath.Join(filepath.Dir(s.Path(mixedItems[0].Path)), ".tmp-123")
	os.WriteFile(tmp, []byte("x"), 0o640)
	os.Chtimes(tmp, t0, t0)
	fresh := filepath.Join(filepath.Dir(s.Path(mixedItems[0].Path)), "0123456789abcdef.eml")
	os.WriteFile(fresh, []byte("x"), 0o640)
	// a row whose file vanished
	gone := put(t, s, "g@example.org", "g", "Subject: g\r\n\r\n", Recipient{Address: "a@x.test", Category: scan.Spam})
	goneItems, _ := s.Get(ctx, gone)
	os.Remove(s.Path(goneItems[0].Path))

	day15 := t0.Add(15 * 24 * time.Hour)
	s.SetClock(func() time.Time { return day15 })
	os.Chtimes(fresh, day15, day15)
	dry, err := s.Purge(ctx, PurgeOptions{DryRun: true})
	if err != nil || dry.Items != 2 || dry.Messages != 1 || dry.Orphans != 2 || len(dry.Missing) != 1 {
		t.Fatalf("dry run %+v %v", dry, err)
	}
	if !fileExists(s, mixedItems[0].Path) || states(t, s, virus) != "a@x.test=quarantined" {
		t.Fatal("a dry run must change nothing")
	}
	rep, err := s.Purge(ctx, PurgeOptions{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items != 2 || rep.Messages != 1 || rep.Files != 1 || rep.Orphans != 2 || rep.Batches != 2 {
		t.Fatalf("purge at day 15: %+v", rep)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].ID != gone || len(rep.Stuck) != 1 || rep.Stuck[0].ID != stuck {
		t.Fatalf("missing %+v stuck %+v", rep.Missing, rep.Stuck)
	}
	if _, err := s.Get(ctx, virus); !errors.Is(err, ErrNotFound) {
		t.Fatal("expired virus still there")
	}
	if states(t, s, mixed) != "b@x.test=quarantined" || !fileExists(s, mixedItems[0].Path) {
		t.Fatalf("mixed message: %s; its spam recipient keeps it 30 days", states(t, s, mixed))
	}
	for _, p := range []string{old, tmp} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("orphan %s kept", p)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a fresh file without row (Put in progress) must be left alone")
	}
	if _, err := os.Stat(orphanDir); err == nil {
		t.Error("empty old day directory kept")
	}
	s.SetClock(func() time.Time { return t0.Add(31 * 24 * time.Hour) })
	rep, err = s.Purge(ctx, PurgeOptions{})
	if err != nil || rep.Items != 3 || rep.Messages != 3 || fileExists(s, mixedItems[0].Path) {
		t.Fatalf("purge at day 31: %+v %v", rep, err)
	}
	if _, err := s.Get(ctx, spam); !errors.Is(err, ErrNotFound) {
		t.Fatal("expired spam still there")
	}
	if states(t, s, stuck) != "a@x.test=releasing" {
		t.Fatal("a row being released must never be purged")
	}
}

func TestPurgeAfterCrashBetweenCommitAndUnlink(t *testing.T) {
	filesOnly(t)
	s, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return t0 })
	id := put(t, s, "s@example.org", "s", "Subject: s\r\n\r\n", Recipient{Address: "a@x.test", Category: scan.Spam})
	items, _ := s.Get(ctx, id)
	// the delete committed, the process died before unlinking
	s.db.Exec(`UPDATE quarantine_items SET state = 'deleted' WHERE message_id = ?`, id)
	s.db.Exec(`UPDATE quarantine_messages SET file_removed = 1 WHERE id = ?`, id)
	os.Chtimes(s.Path(items[0].Path), t0, t0)
	s.SetClock(func() time.Time { return t0.Add(2 * time.Hour) })
	rep, err := s.Purge(ctx, PurgeOptions{})
	if err != nil || rep.Orphans != 1 || len(rep.Missing) != 0 || fileExists(s, items[0].Path) {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestDomainRetention(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return t0 })
	a := put(t, s, "s@example.org", "s", "x", Recipient{Address: "a@x.test", Category: scan.Virus})
	b := put(t, s, "s@example.org", "s", "x", Recipient{Address: "a@y.test", Category: scan.Virus})
	week := 7 * 24 * time.Hour
	n, err := s.SetDomainRetention(ctx, "X.test", scan.Virus, &week)
	if err != nil || n != 1 {
		t.Fatalf("set: %d %v", n, err)
	}
	c := put(t, s, "s@example.org", "s", "x", Recipient{Address: "z@x.test", Category: scan.Virus},
		Recipient{Address: "z@x.test", Category: scan.Spam})
	for _, tc := range []struct {
		id   string
		want time.Duration
	}{{a, week}, {b, 14 * 24 * time.Hour}, {c, week}} {
		items, _ := s.Get(ctx, tc.id)
		if got := items[0].Expires.Sub(items[0].Received); got != tc.want {
			t.Errorf("%s: retention %s, want %s", items[0].Recipient, got, tc.want)
		}
	}
	if items, _ := s.Get(ctx, c); items[1].Expires.Sub(items[1].Received) != 30*24*time.Hour {
		t.Error("the spam override must stay the default")
	}
	dr, _ := s.DomainRetention(ctx, "x.test")
	if dr.Virus == nil || *dr.Virus != week || dr.Spam != nil {
		t.Fatalf("override %+v", dr)
	}
	if _, err := s.SetDomainRetention(ctx, "x.test", scan.Virus, nil); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.Get(ctx, a); items[0].Expires.Sub(items[0].Received) != 14*24*time.Hour {
		t.Fatal("clearing the override must restore the default expiry")
	}
	var rows int
	s.db.QueryRow(`SELECT COUNT(*) FROM quarantine_domain_retention`).Scan(&rows)
	if rows != 0 {
		t.Fatal("an empty override row must go")
	}
	short := time.Minute
	if _, err := s.SetDomainRetention(ctx, "x.test", scan.Spam, &short); err == nil {
		t.Fatal("a retention under an hour must be refused")
	}
}

type fakeRules struct {
	added []settings.Rule
	exist map[string]bool
}

func (f *fakeRules) AddRule(_ context.Context, r settings.Rule) (settings.Rule, error) {
	if f.exist[r.Scope.Name] {
		return r, settings.ErrExists
	}
	f.added = append(f.added, r)
	r.ID = int64(len(f.added))
	return r, nil
}

type fakeHam struct{ got []string }

func (f *fakeHam) LearnHam(_ context.Context, r io.Reader) error {
	b, _ := io.ReadAll(r)
	f.got = append(f.got, string(b))
	return nil
}

func TestRemember(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	body := "Subject: s\r\n\r\nbody"
	id := put(t, s, "Friend@Example.org", "s", body, Recipient{Address: "a@x.test", Category: scan.Spam},
		Recipient{Address: "b@x.test", Category: scan.Spam})
	rel, err := s.Release(ctx, &fakeSender{}, id, ReleaseOptions{By: "root"})
	if err != nil {
		t.Fatal(err)
	}
	rules, ham := &fakeRules{exist: map[string]bool{"b@x.test": true}}, &fakeHam{}
	rem, err := s.Remember(ctx, rules, ham, rel)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.added) != 1 || rules.added[0].Kind != settings.AllowSender || rules.added[0].Value != "friend@example.org" ||
		rules.added[0].Scope != (settings.Scope{Kind: settings.ScopeUser, Name: "a@x.test"}) {
		t.Fatalf("rules %+v", rules.added)
	}
	if strings.Join(rem.Existing, ",") != "b@x.test" || !rem.Learned || len(ham.got) != 1 || ham.got[0] != body {
		t.Fatalf("remembered %+v, learned %q", rem, ham.got)
	}
	// a virus released with --force is not learned as ham
	v := put(t, s, "friend@example.org", "v", body, Recipient{Address: "a@x.test", Category: scan.Virus})
	rel, _ = s.Release(ctx, &fakeSender{}, v, ReleaseOptions{Force: true})
	rem, err = s.Remember(ctx, rules, ham, rel)
	if err != nil || rem.Learned || len(ham.got) != 1 || len(rem.Notes) != 1 {
		t.Fatalf("virus: %+v %v", rem, err)
	}
}
