package store

import (
	"database/sql/driver"
	"slices"
	"strconv"
	"strings"
)

// Rebind rewrites SQLite's parameter markers into PostgreSQL's: `?` becomes
// `$n` (numbered in order, continuing after the largest number seen, as
// SQLite numbers them) and `?NNN` becomes `$NNN`. Markers inside string
// literals, quoted identifiers and comments are left alone. It is the one
// place where the SQL written for SQLite is adapted to PostgreSQL's
// placeholders; everything else in the SQL must be portable or chosen per
// engine by the component (DB.Engine).
func Rebind(query string) string {
	q, _ := rebind(query, nil)
	return q
}

// rebindArgs is Rebind for a statement run with args. SQLite lets a
// statement leave arguments unused (`... WHERE a = ?1` run with three);
// PostgreSQL does not, so the markers are renumbered densely and the
// unused arguments dropped.
func rebindArgs(query string, args []driver.NamedValue) (string, []driver.NamedValue) {
	q, used := rebind(query, nil)
	if len(used) == len(args) && (len(used) == 0 || used[len(used)-1] == len(used)) {
		return q, args
	}
	dense := make(map[int]int, len(used))
	out := make([]driver.NamedValue, 0, len(used))
	for i, n := range used {
		if n < 1 || n > len(args) {
			return q, args // a marker without an argument: let the server say so
		}
		dense[n] = i + 1
		a := args[n-1]
		a.Ordinal = i + 1
		out = append(out, a)
	}
	q, _ = rebind(query, dense)
	return q, out
}

// rebind rewrites the markers, numbering them through renumber when it is
// not nil, and returns the sorted distinct numbers of the original.
func rebind(query string, renumber map[int]int) (string, []int) {
	if !strings.Contains(query, "?") {
		return query, nil
	}
	seen := map[int]bool{}
	var b strings.Builder
	b.Grow(len(query) + 8)
	maxN := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(query, i, c)
			b.WriteString(query[i:j])
			i = j - 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := maxN + 1
			if j > i+1 {
				if v, err := strconv.Atoi(query[i+1 : j]); err == nil {
					n = v
				}
			}
			if n > maxN {
				maxN = n
			}
			seen[n] = true
			if renumber != nil {
				n = renumber[n]
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	used := make([]int, 0, len(seen))
	for n := range seen {
		used = append(used, n)
	}
	slices.Sort(used)
	return b.String(), used
}

// skipQuoted returns the index just after the literal or identifier that
// starts at query[i] with quote q (a doubled quote is part of it).
func skipQuoted(query string, i int, q byte) int {
	for j := i + 1; j < len(query); j++ {
		if query[j] == q {
			if j+1 < len(query) && query[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(query)
}
