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
)

// maxParams bounds the parameters of one INSERT (PostgreSQL allows
// 65535) and maxRows its rows: large enough that the round trips do not
// dominate, small enough to hold in memory.
const (
	maxParams = 60000
	maxRows   = 1000
)

// copyTable copies every row of t from rtx (SQLite) to tx (PostgreSQL)
// in multi-row INSERTs.
func copyTable(ctx context.Context, rtx, tx *sql.Tx, t table) (TableCount, error) {
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
	batch := min(maxRows, maxParams/len(cols))
	head := `INSERT INTO ` + quote(t.name) + ` (` + strings.Join(cols, ", ") + `) VALUES `
	one := `(` + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + `)`
	var args []any
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := head + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("migrate-to: write %s (rows %d to %d): %w", t.name, c.Rows-int64(n)+1, c.Rows, err)
		}
		args, n = args[:0], 0
		return nil
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return c, fmt.Errorf("migrate-to: read %s: %w", t.name, err)
		}
		for i, v := range vals {
			cv, repaired, err := convert(v, t.types[i])
			if err != nil {
				return c, fmt.Errorf("migrate-to: %s.%s of row %d: %w", t.name, t.columns[i], c.Rows+1, err)
			}
			if repaired {
				c.Repaired++
			}
			args = append(args, cv)
		}
		n++
		c.Rows++
		if n == batch {
			if err := flush(); err != nil {
				return c, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("migrate-to: read %s: %w", t.name, err)
	}
	return c, flush()
}

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
