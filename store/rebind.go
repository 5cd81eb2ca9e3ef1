package store

import (
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
	if !strings.Contains(query, "?") {
		return query
	}
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
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
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
