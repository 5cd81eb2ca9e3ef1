// Package storetest opens the database of a unit test: a fresh SQLite
// file by default, or, when MAILTOWER_TEST_POSTGRES holds the URL of a
// PostgreSQL database the test may create databases from (see
// scripts/test-postgres.sh), a fresh PostgreSQL database dropped after
// the test. The same tests thus run against both engines.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/pgtest"
)

// EnvPostgres names the environment variable that switches the tests to
// PostgreSQL.
const EnvPostgres = "MAILTOWER_TEST_POSTGRES"

// Postgres reports whether the tests run against PostgreSQL.
func Postgres() bool { return os.Getenv(EnvPostgres) != "" }

// Open returns an empty database for t, closed (and on PostgreSQL
// dropped) when t ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := OpenErr(t)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// OpenErr is Open returning its error.
func OpenErr(t testing.TB) (*store.DB, error) {
	if !Postgres() {
		db, err := store.Open(t.TempDir())
		if err == nil {
			t.Cleanup(func() { db.Close() })
		}
		return db, err
	}
	u, err := CreateDatabase(t, "test_")
	if err != nil {
		return nil, err
	}
	db, err := store.OpenPostgres(context.Background(), u)
	if err != nil {
		return nil, err
	}
	// Cleanups run last added first: the handle closes before the drop.
	t.Cleanup(func() { db.Close() })
	return db, nil
}

// CreateDatabase creates an empty database, named prefix and random
// letters, on the server MAILTOWER_TEST_POSTGRES names, drops it when t
// ends, and returns its URL (for tests that hand a URL to a daemon).
func CreateDatabase(t testing.TB, prefix string) (string, error) {
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		return "", fmt.Errorf("storetest: %s is not set", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	u, err := pgtest.CreateDatabase(context.Background(), admin, name)
	if err != nil {
		return "", err
	}
	t.Cleanup(func() {
		if err := pgtest.DropDatabase(context.Background(), admin, name); err != nil {
			t.Log(err)
		}
	})
	return u, nil
}

// URL is CreateDatabase for a unit test's database ("test_" names).
func URL(t testing.TB) (string, error) { return CreateDatabase(t, "test_") }
