package migrateto

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mailtower/mailtower/store"
)

// table is one table to copy: the columns both engines have, with
// PostgreSQL's type of each.
type table struct {
	name    string
	columns []string
	types   []string
}

// identity is a column whose values come from a sequence.
type identity struct{ table, column string }

// plan is what Copy does, worked out from both catalogues.
type plan struct {
	tables     []table // parents before the tables that refer to them
	identities []identity
	skipped    []string
	retired    []string
	dropped    []string
}

// pgColumn is a column of a PostgreSQL table.
type pgColumn struct {
	name, dataType string
	generated      bool // GENERATED ALWAYS ... STORED: computed, never written
	identity       bool
}

// notCopied are the tables each engine keeps for itself: the applied
// migrations are numbered per engine (store.Schema).
var notCopied = map[string]bool{"schema_migrations": true}

func makePlan(ctx context.Context, src, dst *store.DB) (*plan, error) {
	lite, virtual, err := sqliteTables(ctx, src)
	if err != nil {
		return nil, err
	}
	pg, err := pgTables(ctx, dst)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	byName := map[string]table{}
	for _, name := range lite {
		if notCopied[name] {
			continue
		}
		if isFullText(name, virtual) {
			p.skipped = append(p.skipped, name)
			continue
		}
		cols, ok := pg[name]
		if !ok {
			// A table that earlier versions used and emptied (its rows
			// moved elsewhere) loses nothing; any other is a schema gap.
			if empty, err := isEmpty(ctx, src, name); err != nil || !empty {
				if err != nil {
					return nil, err
				}
				return nil, fmt.Errorf("migrate-to: SQLite table %s has rows but no PostgreSQL counterpart: its component's PostgreSQL schema lacks it", name)
			}
			p.retired = append(p.retired, name)
			continue
		}
		t, dropped, err := matchColumns(ctx, src, name, cols)
		if err != nil {
			return nil, err
		}
		p.dropped = append(p.dropped, dropped...)
		byName[name] = t
	}
	order, err := parentsFirst(ctx, dst, byName)
	if err != nil {
		return nil, err
	}
	for _, name := range order {
		p.tables = append(p.tables, byName[name])
		for _, c := range pg[name] {
			if c.identity {
				p.identities = append(p.identities, identity{name, c.name})
			}
		}
	}
	return p, nil
}

// isEmpty reports whether the table has no rows.
func isEmpty(ctx context.Context, db *store.DB, name string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1 FROM `+quote(name)+` LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate-to: read %s: %w", name, err)
	}
	return false, nil
}

// sqliteTables lists the ordinary tables and the virtual ones.
func sqliteTables(ctx context.Context, src *store.DB) (tables []string, virtual map[string]bool, err error) {
	rows, err := src.QueryContext(ctx, `SELECT name, COALESCE(sql, '') FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate-to: list the SQLite tables: %w", err)
	}
	defer rows.Close()
	virtual = map[string]bool{}
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			return nil, nil, fmt.Errorf("migrate-to: list the SQLite tables: %w", err)
		}
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(ddl)), "CREATE VIRTUAL TABLE") {
			virtual[name] = true
		}
		tables = append(tables, name)
	}
	return tables, virtual, rows.Err()
}

// isFullText reports whether name is a virtual table or one of the
// shadow tables SQLite keeps for it (name_content, name_segdir, ...).
func isFullText(name string, virtual map[string]bool) bool {
	if virtual[name] {
		return true
	}
	for v := range virtual {
		if strings.HasPrefix(name, v+"_") {
			return true
		}
	}
	return false
}

// pgTables lists the target's tables with their columns.
func pgTables(ctx context.Context, dst *store.DB) (map[string][]pgColumn, error) {
	rows, err := dst.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type,
			c.is_generated = 'ALWAYS', c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%'
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("migrate-to: list the PostgreSQL tables: %w", err)
	}
	defer rows.Close()
	out := map[string][]pgColumn{}
	for rows.Next() {
		var t string
		var c pgColumn
		if err := rows.Scan(&t, &c.name, &c.dataType, &c.generated, &c.identity); err != nil {
			return nil, fmt.Errorf("migrate-to: list the PostgreSQL tables: %w", err)
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

// matchColumns keeps the SQLite columns the PostgreSQL table can take;
// the others are returned as dropped ("table.column").
func matchColumns(ctx context.Context, src *store.DB, name string, pg []pgColumn) (table, []string, error) {
	rows, err := src.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return table{}, nil, fmt.Errorf("migrate-to: columns of %s: %w", name, err)
	}
	defer rows.Close()
	t := table{name: name}
	var dropped []string
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			return table{}, nil, fmt.Errorf("migrate-to: columns of %s: %w", name, err)
		}
		i := indexOf(pg, col)
		if i < 0 || pg[i].generated {
			dropped = append(dropped, name+"."+col)
			continue
		}
		t.columns = append(t.columns, col)
		t.types = append(t.types, pg[i].dataType)
	}
	return t, dropped, rows.Err()
}

func indexOf(cols []pgColumn, name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// parentsFirst orders the tables so that a table comes after every table
// its foreign keys refer to (PostgreSQL checks them at each insert).
func parentsFirst(ctx context.Context, dst *store.DB, tables map[string]table) ([]string, error) {
	rows, err := dst.QueryContext(ctx, `SELECT cl.relname, pl.relname FROM pg_constraint k
		JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class pl ON pl.oid = k.confrelid
		WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, fmt.Errorf("migrate-to: foreign keys: %w", err)
	}
	defer rows.Close()
	parents := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, fmt.Errorf("migrate-to: foreign keys: %w", err)
		}
		if child != parent {
			parents[child] = append(parents[child], parent)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate-to: foreign keys: %w", err)
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("migrate-to: foreign keys form a cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, p := range parents[n] {
			if _, ok := tables[p]; ok {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range sortedKeys(tables) {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
