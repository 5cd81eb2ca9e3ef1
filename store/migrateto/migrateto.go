// Package migrateto copies the whole state of a SQLite gateway into an
// empty PostgreSQL database (`mailtower db migrate-to`). It knows no
// component: the tables come from SQLite's own catalogue (sqlite_master)
// and PostgreSQL's (information_schema), the schema on the target is
// created beforehand by the components' own migrations, and what a
// component must do besides copying rows (the quarantine moves its
// message files into the database) runs as a hook inside the same
// transaction.
package migrateto

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/mailtower/mailtower/store"
)

// Options changes how Copy works.
type Options struct {
	// After run in the copy's transaction, in order, once every table is
	// copied and before the identity sequences are reset.
	After []Hook
	// Progress, when set, is called after each table is copied.
	Progress func(t TableCount)
}

// A Hook does a component's own part of the move inside the copy's
// transaction on the target and returns a line for the report.
type Hook func(ctx context.Context, tx *sql.Tx) (string, error)

// TableCount is the number of rows copied into one table.
type TableCount struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	// Repaired counts text values that were not valid UTF-8 (or held
	// NUL bytes, which PostgreSQL's text refuses) and were mended.
	Repaired int64 `json:"repaired,omitempty"`
}

// Report is what Copy did.
type Report struct {
	Tables []TableCount `json:"tables"`
	// Skipped are SQLite tables that have no PostgreSQL counterpart by
	// design: full-text indexes (virtual tables and their shadow tables),
	// rebuilt on PostgreSQL from the copied rows by generated columns.
	Skipped []string `json:"skipped"`
	// Retired are empty SQLite tables without a PostgreSQL counterpart:
	// tables of earlier versions whose rows moved elsewhere.
	Retired []string `json:"retired"`
	// Dropped are "table.column" present in SQLite only (such as the
	// quarantine's FTS key), not copied.
	Dropped []string `json:"dropped"`
	// Hooks are the lines the hooks returned.
	Hooks []string `json:"hooks"`
}

// CheckEmpty returns an error when the target database holds any row in
// any table but schema_migrations, the bookkeeping that opening a
// database creates. migrate-to refuses such a target unless forced: it
// would otherwise merge two gateways' states.
func CheckEmpty(ctx context.Context, dst *store.DB) error {
	tables, err := pgTables(ctx, dst)
	if err != nil {
		return err
	}
	var full []string
	for _, t := range sortedKeys(tables) {
		if t == "schema_migrations" {
			continue
		}
		empty, err := isEmpty(ctx, dst, t)
		if err != nil {
			return err
		}
		if !empty {
			full = append(full, t)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("migrate-to: the target database is not empty (rows in %s): use an empty database, or --force to replace its rows", strings.Join(full, ", "))
	}
	return nil
}

// Copy copies every table of src (SQLite) into dst (PostgreSQL), whose
// schema the components' migrations have already created, in one
// transaction on dst: the copied tables are emptied first (of the rows
// the migrations seed, or all rows of a forced target), rows keep their
// ids, and the identity sequences continue after the largest copied id.
// A SQLite table without a PostgreSQL counterpart is an error, unless it
// is a full-text index (Report.Skipped).
func Copy(ctx context.Context, src, dst *store.DB, opt Options) (*Report, error) {
	if src.IsPostgres() || !dst.IsPostgres() {
		return nil, fmt.Errorf("migrate-to: copies from SQLite to PostgreSQL only")
	}
	plan, err := makePlan(ctx, src, dst)
	if err != nil {
		return nil, err
	}
	rep := &Report{Skipped: plan.skipped, Retired: plan.retired, Dropped: plan.dropped}
	// One read transaction on SQLite: a consistent snapshot.
	rtx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("migrate-to: read %s: %w", src.Path, err)
	}
	defer rtx.Rollback()
	// One session: COPY (on the raw connection) and the statements of
	// the transaction (hooks, sequences) must share it.
	conn, err := dst.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate-to: connect to %s: %w", dst.Path, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate-to: begin on %s: %w", dst.Path, err)
	}
	defer tx.Rollback()
	names := make([]string, len(plan.tables))
	for i, t := range plan.tables {
		names[i] = quote(t.name)
	}
	if len(names) > 0 {
		if _, err := tx.ExecContext(ctx, `TRUNCATE `+strings.Join(names, ", ")+` RESTART IDENTITY CASCADE`); err != nil {
			return nil, fmt.Errorf("migrate-to: empty the target tables: %w", err)
		}
	}
	for _, t := range plan.tables {
		c, err := copyTable(ctx, rtx, conn, t)
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, c)
		if opt.Progress != nil {
			opt.Progress(c)
		}
	}
	for _, h := range opt.After {
		line, err := h(ctx, tx)
		if err != nil {
			return nil, fmt.Errorf("migrate-to: %w", err)
		}
		rep.Hooks = append(rep.Hooks, line)
	}
	if err := resetSequences(ctx, tx, plan.identities); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("migrate-to: commit on %s: %w", dst.Path, err)
	}
	return rep, nil
}

// resetSequences makes each identity column continue after its largest
// value, so rows the gateways add next do not collide with copied ids.
func resetSequences(ctx context.Context, tx *sql.Tx, ids []identity) error {
	for _, id := range ids {
		q := `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(` + quote(id.column) + `), 0) + 1, false) FROM ` + quote(id.table)
		if _, err := tx.ExecContext(ctx, q, id.table, id.column); err != nil {
			return fmt.Errorf("migrate-to: reset the sequence of %s.%s: %w", id.table, id.column, err)
		}
	}
	return nil
}

// quote quotes an identifier for PostgreSQL and SQLite alike.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
