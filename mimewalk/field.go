package mimewalk

import (
	"bytes"
	"strings"
)

// splitField splits "Name: value". A name is printable US-ASCII without a
// colon (RFC 5322 section 2.2); white space before the colon is the
// obsolete syntax of RFC 5322 section 4.5 and is accepted. A comment in
// the name ("Content-Type(x):") is removed, as lenient clients and ClamAV
// read it; commented reports that one was.
func splitField(line []byte) (name string, value []byte, commented, ok bool) {
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return "", nil, false, false
	}
	n := line[:c]
	if bytes.IndexByte(n, '(') >= 0 {
		n, commented = []byte(stripComments(string(n))), true
	}
	n = bytes.TrimRight(n, " \t")
	if len(n) == 0 {
		return "", nil, false, false
	}
	for _, ch := range n {
		if ch < 33 || ch > 126 {
			return "", nil, false, false
		}
	}
	return string(n), line[c+1:], commented, true
}

// stripComments removes every RFC 5322 comment "(...)", nested ones
// included, from s; an unclosed comment runs to the end.
func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
