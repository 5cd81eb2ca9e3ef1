package mimewalk

// nextLine returns the line starting at b[i] without its end-of-line
// sequence, and the index just after that sequence. CRLF, LF and a lone CR
// all end a line: hostile or broken mail uses each of them, and a filter
// that recognises fewer line ends than the recipient's mail client misses
// boundaries the client sees.
func nextLine(b []byte, i int) (line []byte, next int) {
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '\n':
			return b[i:j], j + 1
		case '\r':
			if j+1 < len(b) && b[j+1] == '\n' {
				return b[i:j], j + 2
			}
			return b[i:j], j + 1
		}
	}
	return b[i:], len(b)
}

// trimEOL removes one trailing end-of-line sequence: the line end before a
// boundary delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
func trimEOL(b []byte) []byte {
	n := len(b)
	switch {
	case n >= 2 && b[n-2] == '\r' && b[n-1] == '\n':
		return b[:n-2]
	case n >= 1 && (b[n-1] == '\n' || b[n-1] == '\r'):
		return b[:n-1]
	}
	return b
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }
