package migrateto

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// copyTable copies every row of t from rtx (SQLite) into the PostgreSQL
// session conn, inside the transaction open on it, with COPY (pgx's
// CopyFrom: the rows stream, nothing is held in memory).
func copyTable(ctx context.Context, rtx *sql.Tx, conn *sql.Conn, t table) (TableCount, error) {
	c := TableCount{Table: t.name}
	if len(t.columns) == 0 {
		return c, nil
	}
	cols := make([]string, len(t.columns))
	for i, col := range t.columns {
		cols[i] = quote(col)
	}
	rows, err := rtx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+quote(t.name))
	if err != nil {
		return c, fmt.Errorf("migrate-to: read %s: %w", t.name, err)
	}
	defer rows.Close()
	src := newSource(rows, t, &c)
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ PgxConn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("%T is not a pgx connection", dc)
		}
		_, err := pc.PgxConn().CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, src)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("migrate-to: write %s (at row %d): %w", t.name, c.Rows, err)
	}
	return c, nil
}

// source feeds SQLite rows, converted, to CopyFrom.
type source struct {
	rows       *sql.Rows
	t          table
	c          *TableCount
	vals, ptrs []any
	out        []any
	err        error
}

func newSource(rows *sql.Rows, t table, c *TableCount) *source {
	s := &source{rows: rows, t: t, c: c, vals: make([]any, len(t.columns)),
		ptrs: make([]any, len(t.columns)), out: make([]any, len(t.columns))}
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return s
}

// Next reads and converts the next row.
func (s *source) Next() bool {
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			s.err = fmt.Errorf("read %s: %w", s.t.name, err)
		}
		return false
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		s.err = fmt.Errorf("read %s: %w", s.t.name, err)
		return false
	}
	for i, v := range s.vals {
		cv, repaired, err := convert(v, s.t.types[i])
		if err != nil {
			s.err = fmt.Errorf("%s.%s of row %d: %w", s.t.name, s.t.columns[i], s.c.Rows+1, err)
			return false
		}
		if repaired {
			s.c.Repaired++
		}
		s.out[i] = cv
	}
	s.c.Rows++
	return true
}

// Values is the row Next read; CopyFrom encodes it before the next call.
func (s *source) Values() ([]any, error) { return s.out, nil }

// Err is the error that ended the rows early.
func (s *source) Err() error { return s.err }

// convert turns a value as SQLite returned it (SQLite's columns take any
// type) into one of the PostgreSQL column's type, and reports whether a
// text value had to be mended (see TableCount.Repaired).
func convert(v any, pgType string) (any, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	switch pgType {
	case "bigint", "integer", "smallint":
		return toInt(v)
	case "double precision", "real", "numeric":
		return toFloat(v)
	case "bytea":
		switch x := v.(type) {
		case string:
			return []byte(x), false, nil
		case []byte:
			return append([]byte(nil), x...), false, nil
		}
		return nil, false, fmt.Errorf("%T for bytea", v)
	case "text", "character varying", "character":
		return toText(v)
	}
	if b, ok := v.([]byte); ok { // the driver reuses its buffers
		return append([]byte(nil), b...), false, nil
	}
	return v, false, nil
}

func toInt(v any) (any, bool, error) {
	switch x := v.(type) {
	case int64:
		return x, false, nil
	case bool:
		if x {
			return int64(1), false, nil
		}
		return int64(0), false, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), false, nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, false, nil
		}
	case []byte:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, false, nil
		}
	case time.Time:
		return x.Unix(), false, nil
	}
	return nil, false, fmt.Errorf("%v (%T) is not an integer", v, v)
}

func toFloat(v any) (any, bool, error) {
	switch x := v.(type) {
	case float64:
		return x, false, nil
	case int64:
		return float64(x), false, nil
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, false, nil
		}
	case []byte:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return f, false, nil
		}
	}
	return nil, false, fmt.Errorf("%v (%T) is not a number", v, v)
}

// toText returns v as a string PostgreSQL's text accepts: valid UTF-8
// (bad bytes become U+FFFD) without NUL bytes.
func toText(v any) (any, bool, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		return strconv.FormatInt(x, 10), false, nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), false, nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), false, nil
	case bool:
		return strconv.FormatBool(x), false, nil
	default:
		return nil, false, fmt.Errorf("%T for text", v)
	}
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s, false, nil
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", ""), true, nil
}
