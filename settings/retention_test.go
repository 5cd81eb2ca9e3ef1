package settings

import (
	"context"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store"
)

// A domain's retention overrides go with it: RemoveDomain removes them in
// its transaction, and a domain added again starts from the defaults.
func TestRemoveDomainRemovesRetention(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.AddDomain(ctx, Domain{Name: "x.test", Relay: "mx.x.test"}); err != nil {
		t.Fatal(err)
	}
	week := 7 * 24 * time.Hour
	if err := WriteDomainRetention(ctx, s.db, "x.test", "virus", &week); err != nil {
		t.Fatal(err)
	}
	if o, err := s.DomainRetention(ctx, "x.test"); err != nil || o.Virus == nil || *o.Virus != week {
		t.Fatalf("override %+v, %v; want virus 168h", o, err)
	}
	if err := s.RemoveDomain(ctx, "x.test"); err != nil {
		t.Fatal(err)
	}
	if o, err := s.DomainRetention(ctx, "x.test"); err != nil || o != (RetentionOverrides{}) {
		t.Fatalf("after remove: %+v, %v; want none", o, err)
	}
	if err := WriteDomainRetention(ctx, s.db, "x.test", "ham", &week); err == nil {
		t.Error("an unknown category must be refused")
	}
}

// Overrides that an earlier version kept in the quarantine's table move
// to settings once; those of domains removed meanwhile are dropped.
func TestAdoptQuarantineOverrides(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "settings", migrations); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE quarantine_domain_retention (domain TEXT PRIMARY KEY,
		virus INTEGER, spam INTEGER, content INTEGER);
		INSERT INTO domains (name, relay, created) VALUES ('kept.test', 'mx.kept.test', 0);
		INSERT INTO quarantine_domain_retention VALUES ('kept.test', 86400, NULL, NULL), ('gone.test', 3600, 3600, 3600)`); err != nil {
		t.Fatal(err)
	}
	s, err := NewSQLStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := s.DomainRetention(ctx, "kept.test"); o.Virus == nil || *o.Virus != 24*time.Hour || o.Spam != nil {
		t.Errorf("kept.test: %+v; want virus 24h only", o)
	}
	if o, _ := s.DomainRetention(ctx, "gone.test"); o != (RetentionOverrides{}) {
		t.Errorf("gone.test (no such domain) kept %+v", o)
	}
	var n int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM quarantine_domain_retention`).Scan(&n)
	if n != 0 {
		t.Errorf("the old table still has %d rows", n)
	}
	if _, err := NewSQLStore(ctx, db); err != nil { // idempotent
		t.Fatal(err)
	}
}
