// Package store opens mailtower's embedded SQLite database and applies each
// component's schema migrations.
//
// Every table is owned by one package (settings, quarantine, policyd, ...),
// which keeps its SQL behind a small Go interface and registers its own
// ordered migrations here, so that a PostgreSQL backend can later replace
// one component's implementation without touching the others.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	// The SQLite driver (cgo). FTS3/4 is built in without tags.
	_ "github.com/mattn/go-sqlite3"
)

// FileName is the database file inside the data directory.
const FileName = "mailtower.db"

// DB is the shared database handle.
type DB struct {
	*sql.DB
	// Path is the database file.
	Path string
}

// Open opens (creating when needed) the database in dataDir with the
// settings mailtower relies on: WAL so readers never block the milter,
// a busy timeout so concurrent writers from several processes wait instead
// of failing, foreign keys, synchronous=FULL so that a committed quarantine
// row survives a power loss, and IMMEDIATE transactions so that a writer
// takes its lock up front instead of deadlocking on upgrade.
func Open(dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	path := filepath.Join(dataDir, FileName)
	db, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	if err := ownLike(dataDir, path, path+"-wal", path+"-shm"); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return db, nil
}

// OpenFile opens the database at path (used by tests and tools).
func OpenFile(path string) (*DB, error) {
	dsn := "file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_synchronous=FULL&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Keep connections for reuse: database/sql keeps only 2 idle ones by
	// default, so 50 policy connections or milter sessions querying at
	// once would open and close SQLite connections (and re-read the
	// schema) at every query.
	db.SetMaxIdleConns(32)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	return &DB{DB: db, Path: path}, nil
}

// Migrate applies, in order and each in its own transaction, the
// migrations of component that this database has not seen yet. Migrations
// are append-only: a released migration is never edited, a change is a new
// entry.
func (db *DB) Migrate(ctx context.Context, component string, migrations []string) error {
	for i, m := range migrations {
		version := i + 1
		if err := db.applyOnce(ctx, component, version, m); err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

func (db *DB) applyOnce(ctx context.Context, component string, version int, stmt string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component = ? AND version = ?`,
		component, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`,
		component, version); err != nil {
		return err
	}
	return tx.Commit()
}
