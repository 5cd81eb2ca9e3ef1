package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestMigrateAppliesOnceInOrder(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	migs := []string{
		`CREATE TABLE t (a INTEGER)`,
		`INSERT INTO t (a) VALUES (1)`,
	}
	for i := 0; i < 2; i++ {
		if err := db.Migrate(ctx, "test", migs); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows = %d, err %v; want 1 (the insert must run once)", n, err)
	}
	// A later migration appended to the list runs on the next start.
	if err := db.Migrate(ctx, "test", append(migs, `INSERT INTO t (a) VALUES (2)`)); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	db, err := OpenFile(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Migrate(context.Background(), "bad", []string{`CREATE TABLE ok (a INTEGER); CREATE TABLE`})
	if err == nil {
		t.Fatal("want an error for a broken migration")
	}
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE component = 'bad'`).Scan(&n)
	if n != 0 {
		t.Fatalf("a failed migration was recorded as applied")
	}
}

func TestPragmas(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var fk, sync int
	db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
	db.QueryRow(`PRAGMA synchronous`).Scan(&sync)
	if mode != "wal" || fk != 1 || sync != 2 {
		t.Fatalf("journal_mode=%s foreign_keys=%d synchronous=%d; want wal, 1, 2 (FULL)", mode, fk, sync)
	}
}

func TestRootCreatesFilesForTheDataDirOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown; the unit tests also run as root in CI")
	}
	dir := t.TempDir()
	if err := os.Chown(dir, 65534, 65534); err != nil { // nobody
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := MkdirOwned(dir, filepath.Join(dir, "quarantine", "x"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{FileName, FileName + "-wal", FileName + "-shm", "quarantine", "quarantine/x"} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 65534 {
			t.Errorf("%s owned by uid %d, want the data dir's owner 65534", p, uid)
		}
	}
}
