package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgresURL reports whether database names a PostgreSQL server
// (postgres:// or postgresql://) rather than the embedded SQLite file.
func IsPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// OpenPostgres connects to the PostgreSQL database at url (a libpq URL,
// e.g. postgres://mailtower:secret@db1/mailtower?sslmode=verify-full).
// Statements written for SQLite are rebound to PostgreSQL's placeholders
// and Go bools are sent as 0/1 (the schemas keep SQLite's integer flags),
// by a thin wrapper around pgx's database/sql driver. Unlike SQLite, the
// server may be down: Open fails then, and later queries fail until it is
// back (database/sql reconnects by itself).
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: postgres URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	db := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres %s: %w", redact(cfg), err)
	}
	d := &DB{DB: db, Engine: Postgres, Path: redact(cfg)}
	if err := d.createMigrationTable(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := d.migrateLeases(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// redact names the server and database without the password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// rebindConnector hands out connections that rebind their statements.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is a pgx connection whose statements are rebound (Rebind)
// and whose bool arguments become 0/1.
type rebindConn struct{ *stdlib.Conn }

// PgxConn is the pgx connection itself, for what database/sql cannot
// do (COPY): reached through sql.Conn.Raw.
func (c rebindConn) PgxConn() *pgx.Conn { return c.Conn.Conn() }

func (c rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(Rebind(query))
}

func (c rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, Rebind(query))
}

func (c rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	q, args := rebindArgs(query, args)
	return c.Conn.ExecContext(ctx, q, args)
}

func (c rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, args := rebindArgs(query, args)
	return c.Conn.QueryContext(ctx, q, args)
}

// CheckNamedValue turns bools into the integers SQLite stores them as;
// everything else goes to pgx as it is.
func (c rebindConn) CheckNamedValue(v *driver.NamedValue) error {
	if b, ok := v.Value.(bool); ok {
		v.Value = int64(0)
		if b {
			v.Value = int64(1)
		}
	}
	return nil
}

// migrationLock is the advisory lock key that serialises schema changes
// of gateways starting at the same time.
const migrationLock = 0x6d61696c746f77 // "mailtow"

func (db *DB) createMigrationTable(ctx context.Context) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`
	if db.Engine != Postgres {
		if _, err := db.ExecContext(ctx, create); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, migrationLock); err != nil {
		return fmt.Errorf("store: lock schema_migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	return nil
}
