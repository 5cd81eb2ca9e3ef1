// Package settingstest opens a real settings store for tests of the
// packages that read settings (a fresh database of store/storetest:
// SQLite in a temporary directory, or PostgreSQL when the tests run
// against it; closed when the test ends).
package settingstest

import (
	"context"
	"testing"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
)

// Open returns a settings store over a new database (storetest.Open), and
// the database for callers that need other components' tables.
func Open(t testing.TB) (*settings.SQLStore, *store.DB) {
	t.Helper()
	db := storetest.Open(t)
	st, err := settings.NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st, db
}
