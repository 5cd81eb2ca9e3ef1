package store

import (
	"database/sql/driver"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`UPDATE t SET a = ?2 WHERE b = ?1 AND c = ?`, `UPDATE t SET a = $2 WHERE b = $1 AND c = $3`},
		{`SELECT '?', "a?b", ? -- what?
			/* why? */ FROM t`, `SELECT '?', "a?b", $1 -- what?
			/* why? */ FROM t`},
		{`SELECT 'it''s ?' WHERE x LIKE ? ESCAPE '\'`, `SELECT 'it''s ?' WHERE x LIKE $1 ESCAPE '\'`},
		{`SELECT 'open ?`, `SELECT 'open ?`},
	} {
		if got := Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzRebind: any input is rewritten without a panic, and text without a
// marker outside quotes comes back unchanged.
func FuzzRebind(f *testing.F) {
	f.Add(`SELECT ? FROM t WHERE a = '?' AND b = ?12`)
	f.Add(`/* ? */ -- ?`)
	f.Fuzz(func(t *testing.T, q string) {
		out := Rebind(q)
		if !strings.Contains(q, "?") && out != q {
			t.Fatalf("Rebind(%q) = %q changed a query without markers", q, out)
		}
	})
}

func TestRebindArgsDropsUnused(t *testing.T) {
	args := []driver.NamedValue{{Ordinal: 1, Value: "a"}, {Ordinal: 2, Value: "b"}, {Ordinal: 3, Value: "c"}}
	q, out := rebindArgs(`DELETE FROM t WHERE x LIKE ?2 AND y = ?2`, args)
	if q != `DELETE FROM t WHERE x LIKE $1 AND y = $1` || len(out) != 1 || out[0].Value != "b" || out[0].Ordinal != 1 {
		t.Fatalf("got %q %v", q, out)
	}
	q, out = rebindArgs(`SELECT ?, ?`, args[:2])
	if q != `SELECT $1, $2` || len(out) != 2 {
		t.Fatalf("got %q %v", q, out)
	}
}
