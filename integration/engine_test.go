//go:build integration

package integration

import (
	"context"
	"testing"

	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
)

// envDatabase is the database key of a new Env: o.Database when the test
// names one; "" when it asks for SQLite; otherwise, when MAILTOWER_TEST_POSTGRES names a PostgreSQL
// server (scripts/test-postgres.sh), a fresh database on it, dropped
// when t ends, so that the suite runs on PostgreSQL; otherwise "" (SQLite
// in the data directory).
func envDatabase(t testing.TB, o EnvOptions) string {
	t.Helper()
	if o.Database != "" || o.SQLite || !storetest.Postgres() {
		return o.Database
	}
	url, err := storetest.CreateDatabase(t, "it_")
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// openDB opens the gateway's database, SQLite or PostgreSQL, as
// `mailtower` would; it is closed when t ends.
func (e *Env) openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.OpenDatabase(context.Background(), e.Mailtower.DataDir, e.Mailtower.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
