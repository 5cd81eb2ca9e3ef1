// Package store opens mailtower's database, the embedded SQLite file or a
// PostgreSQL server shared by several gateways, and applies each
// component's schema migrations.
//
// Every table is owned by one package (settings, quarantine, policyd, ...),
// which keeps its SQL behind a small Go interface and registers its own
// ordered migrations here, one list per engine where the SQL differs
// (Schema). Statements are written with SQLite's `?` markers and rebound
// for PostgreSQL in one place (Rebind); SQL that is not portable is
// chosen per engine by the component (DB.Engine).
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

// Engine names the database engine behind a DB.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is the shared database handle.
type DB struct {
	*sql.DB
	// Engine is SQLite (the zero value means SQLite too) or Postgres.
	Engine Engine
	// Path is the database file, or the PostgreSQL server and database
	// (without the password).
	Path string
}

// IsPostgres reports whether db is a PostgreSQL database.
func (db *DB) IsPostgres() bool { return db.Engine == Postgres }

// OpenDatabase opens the database the configuration names: database is
// empty (the SQLite file in dataDir) or a postgres:// URL.
func OpenDatabase(ctx context.Context, dataDir, database string) (*DB, error) {
	if database == "" {
		return Open(dataDir)
	}
	if !IsPostgresURL(database) {
		return nil, fmt.Errorf("store: database %q: want empty (SQLite in the data directory) or a postgres:// URL", database)
	}
	return OpenPostgres(ctx, database)
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
	d := &DB{DB: db, Engine: SQLite, Path: path}
	if err := d.createMigrationTable(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	if err := d.migrateLeases(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Schema is a component's migrations for each engine, each list
// append-only. A statement that is portable appears in both lists; the
// lists are numbered separately, as one database has one engine.
type Schema struct {
	SQLite   []string
	Postgres []string
}

// Migrate applies, in order and each in its own transaction, the
// migrations of component that this database has not seen yet. Migrations
// are append-only: a released migration is never edited, a change is a new
// entry. They are SQLite's: on PostgreSQL, a component without a
// PostgreSQL schema (MigrateSchema) is an error.
func (db *DB) Migrate(ctx context.Context, component string, migrations []string) error {
	return db.MigrateSchema(ctx, component, Schema{SQLite: migrations})
}

// MigrateSchema applies component's migrations for db's engine (Migrate).
func (db *DB) MigrateSchema(ctx context.Context, component string, s Schema) error {
	migrations := s.SQLite
	if db.IsPostgres() {
		if s.Postgres == nil {
			return fmt.Errorf("store: %s has no PostgreSQL schema yet", component)
		}
		migrations = s.Postgres
	}
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
	if db.IsPostgres() {
		// Gateways starting together take turns; the second finds the
		// version applied.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, migrationLock); err != nil {
			return err
		}
	}
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
