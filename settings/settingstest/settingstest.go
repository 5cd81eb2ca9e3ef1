// Package settingstest opens a real settings store for tests of the
// packages that read settings (SQLite in a temporary directory, closed
// when the test ends).
package settingstest

import (
	"context"
	"testing"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// Open returns a settings store over a new database in t.TempDir(), and
// the database for callers that need other components' tables.
func Open(t testing.TB) (*settings.SQLStore, *store.DB) {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := settings.NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st, db
}
