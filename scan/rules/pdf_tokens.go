package rules

import (
	"bytes"
	"strconv"
)

// PDF lexical pieces (ISO 32000-1 7.2, 7.3): name tokens with #xx
// escapes, literal and hexadecimal strings, text strings.

// pdfNames returns the name tokens of b, #xx escapes decoded.
func pdfNames(b []byte) map[string]bool {
	out := map[string]bool{}
	eachName(b, func(name []byte, _ int) { out[string(name)] = true })
	return out
}

// isDelim reports PDF delimiters and white space (ISO 32000 7.2.2).
func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%', ' ', '\t', '\r', '\n', '\f', 0:
		return true
	}
	return false
}

// eachName calls fn with every name token of b (escapes decoded; valid
// until fn returns) and the offset after it.
func eachName(b []byte, fn func(name []byte, end int)) {
	var buf []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		j := i + 1
		for j < len(b) && !isDelim(b[j]) && b[j] != '#' && j-i <= 128 {
			j++
		}
		if j >= len(b) || b[j] != '#' {
			fn(b[i+1:j], j)
			i = j - 1
			continue
		}
		buf = append(buf[:0], b[i+1:j]...)
		for j < len(b) && !isDelim(b[j]) && len(buf) <= 127 {
			c := b[j]
			if c == '#' && j+2 < len(b) {
				if v, err := strconv.ParseUint(string(b[j+1:j+3]), 16, 8); err == nil {
					buf = append(buf, byte(v))
					j += 3
					continue
				}
			}
			buf = append(buf, c)
			j++
		}
		fn(buf, j)
		i = j - 1
	}
}

// pdfString reads a literal string "(...)" that follows a name, as a file
// specification gives its name; other values (references, dictionaries)
// are not names.
func pdfString(b []byte) (string, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '\t') {
		i++
	}
	if i+1 < len(b) && b[i] == '<' && b[i+1] != '<' {
		return pdfHexString(b[i+1:])
	}
	if i >= len(b) || b[i] != '(' {
		return "", false
	}
	var out []byte
	depth := 0
	for i++; i < len(b) && len(out) < 1024; i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b):
			i++
			out = append(out, b[i])
		case c == '(':
			depth++
			out = append(out, c)
		case c == ')' && depth == 0:
			return decodePDFText(out), true
		case c == ')':
			depth--
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return "", false
}

// pdfHexString reads a hexadecimal string "<...>" after its "<".
func pdfHexString(b []byte) (string, bool) {
	end := bytes.IndexByte(b[:min(len(b), 4096)], '>')
	if end < 0 {
		return "", false
	}
	var digits []byte
	for _, c := range b[:end] {
		if _, err := strconv.ParseUint(string(c), 16, 8); err == nil {
			digits = append(digits, c)
		}
	}
	if len(digits)%2 == 1 {
		digits = append(digits, '0')
	}
	out := make([]byte, len(digits)/2)
	for i := range out {
		v, _ := strconv.ParseUint(string(digits[2*i:2*i+2]), 16, 8)
		out[i] = byte(v)
	}
	return decodePDFText(out), true
}

// decodePDFText reads a text string: UTF-16BE with a byte-order mark, or
// bytes taken as Latin-1.
func decodePDFText(b []byte) string {
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		var r []rune
		for i := 2; i+1 < len(b); i += 2 {
			r = append(r, rune(b[i])<<8|rune(b[i+1]))
		}
		return string(r)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
