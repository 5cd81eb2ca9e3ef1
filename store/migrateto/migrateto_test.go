package migrateto

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
)

// testSchema has a child table whose name sorts before its parent's, so
// that copying in name order would break its foreign key.
var testSchema = []string{`
	CREATE TABLE z_parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, score REAL NOT NULL, raw BLOB);
	CREATE TABLE a_child (id INTEGER PRIMARY KEY AUTOINCREMENT, parent INTEGER NOT NULL REFERENCES z_parent(id), note TEXT NOT NULL);`,
}

// fill opens a SQLite database with the test schema and n parents, each
// with one child.
func fill(t testing.TB, ctx context.Context, n int) *store.DB {
	t.Helper()
	src, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	if err := src.MigrateSchema(ctx, "test", store.PortableSchema(testSchema)); err != nil {
		t.Fatal(err)
	}
	tx, err := src.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO z_parent (name, score, raw) VALUES (?, ?, ?)`,
			fmt.Sprintf("parent %d", i), float64(i)/3, []byte{0, byte(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO a_child (parent, note) VALUES (?, ?)`, i, strings.Repeat("x", 40)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestCopyOrderAndSequences copies a few thousand rows with COPY,
// parents before children, and new rows continue after the copied ids.
func TestCopyOrderAndSequences(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("needs PostgreSQL: scripts/test-postgres.sh ./store/migrateto/")
	}
	ctx := context.Background()
	const n = 2500
	src := fill(t, ctx, n)
	dst := storetest.Open(t)
	if err := CheckEmpty(ctx, dst); err != nil {
		t.Fatalf("a fresh database: %v", err)
	}
	if err := dst.MigrateSchema(ctx, "test", store.PortableSchema(testSchema)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := Copy(ctx, src, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows in %v", 2*n, time.Since(start))
	var order []string
	for _, c := range rep.Tables {
		order = append(order, c.Table)
		if (c.Table == "z_parent" || c.Table == "a_child") && c.Rows != n {
			t.Errorf("%s: %d rows, want %d", c.Table, c.Rows, n)
		}
	}
	if strings.Index(strings.Join(order, " "), "z_parent") > strings.Index(strings.Join(order, " "), "a_child") {
		t.Errorf("order %v: a_child before its parent", order)
	}
	var id int64
	if err := dst.QueryRowContext(ctx, `INSERT INTO z_parent (name, score) VALUES ('new', 0) RETURNING id`).Scan(&id); err != nil || id != n+1 {
		t.Errorf("new row: id %d, %v; want %d", id, err, n+1)
	}
	var raw []byte
	var score float64
	if err := dst.QueryRowContext(ctx, `SELECT raw, score FROM z_parent WHERE id = 7`).Scan(&raw, &score); err != nil ||
		string(raw) != "\x00\x07" || score != 7.0/3 {
		t.Errorf("row 7: raw %q score %v, %v", raw, score, err)
	}
	if err := CheckEmpty(ctx, dst); err == nil || !strings.Contains(err.Error(), "a_child") {
		t.Errorf("CheckEmpty after the copy: %v, want the tables with rows named", err)
	}
}

// TestCopyRefusesTableWithoutCounterpart: rows in a SQLite table that the
// PostgreSQL schema lacks stop the copy instead of being left behind.
func TestCopyRefusesTableWithoutCounterpart(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("needs PostgreSQL: scripts/test-postgres.sh ./store/migrateto/")
	}
	ctx := context.Background()
	src := fill(t, ctx, 3)
	dst := storetest.Open(t)
	if err := dst.MigrateSchema(ctx, "test", store.PortableSchema(testSchema[:0])); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, src, dst, Options{}); err == nil || !strings.Contains(err.Error(), "no PostgreSQL counterpart") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}
