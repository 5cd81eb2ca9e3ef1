package mimewalk

import (
	"encoding/base64"
	"strings"
)

// decodeResult is a transfer-decoded body.
type decodeResult struct {
	data      []byte
	truncated bool   // stopped at the byte limit
	broken    string // why the encoding was broken, "" if it was fine
	// severe marks breakage that decoders resolve differently (bytes
	// outside the base64 alphabet: RFC 2045 says to ignore them, some
	// virus scanners stop there), as opposed to slips every decoder
	// reads alike (missing or inner padding, a stray '=' in QP).
	severe  bool
	unknown bool   // unknown encoding: data is the raw body
	name    string // file name in a uuencode "begin" line
}

// decodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 section 6),
// producing at most limit bytes. Broken input is decoded as far as it can
// be and described in broken; an unknown encoding returns the raw body.
func decodeTransfer(body []byte, cte string, limit int64) decodeResult {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return capped(body, limit)
	case "base64":
		return decodeBase64(body, limit)
	case "quoted-printable":
		return decodeQP(body, limit)
	case "x-uuencode", "uuencode", "x-uue", "uue":
		if blks := findUU(body, limit); len(blks) > 0 {
			r := decodeResult{data: blks[0].data, truncated: blks[0].trunc, name: blks[0].name}
			if blks[0].broken {
				r.broken, r.severe = "broken uuencode", true
			}
			return r
		}
	}
	r := capped(body, limit)
	r.unknown = true
	return r
}

func capped(body []byte, limit int64) decodeResult {
	if int64(len(body)) > limit {
		return decodeResult{data: body[:limit], truncated: true}
	}
	return decodeResult{data: body}
}

var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	// The URL-safe alphabet turns up in broken mailers; accept it.
	t['-'], t['_'] = 62, 63
	return t
}()

// decodeBase64 decodes well-formed base64 (lines of whole groups) with the
// standard library, and anything else like a forgiving mail client does
// (decodeBase64Lenient).
func decodeBase64(body []byte, limit int64) decodeResult {
	out := make([]byte, 0, min(int64(base64.StdEncoding.DecodedLen(len(body))), limit))
	for i := 0; i < len(body); {
		line, next := nextLine(body, i)
		i = next
		if len(line) == 0 {
			continue
		}
		if len(line)%4 != 0 || int64(len(out)+base64.StdEncoding.DecodedLen(len(line))) > limit {
			return decodeBase64Lenient(body, limit)
		}
		n, err := base64.StdEncoding.Decode(out[len(out):cap(out)], line)
		if err != nil {
			return decodeBase64Lenient(body, limit)
		}
		out = out[:len(out)+n]
		if n < len(line)/4*3 && i < len(body) && len(bytesTrimSpace(body[i:])) > 0 {
			// Padding before the end: more data follows; the lenient
			// decoder reports it.
			return decodeBase64Lenient(body, limit)
		}
	}
	return decodeResult{data: out}
}

func bytesTrimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// decodeBase64Lenient decodes like a forgiving mail client: white space is
// ignored, other bytes outside the alphabet are skipped (and reported),
// padding in the middle ends one group and decoding continues after it.
func decodeBase64Lenient(body []byte, limit int64) decodeResult {
	out := make([]byte, 0, min(int64(len(body))/4*3+3, limit))
	var r decodeResult
	var quad [4]byte
	n := 0
	garbage, midPad := false, false
	padded := false
	emit := func() bool {
		var b []byte
		switch n {
		case 4:
			b = []byte{quad[0]<<2 | quad[1]>>4, quad[1]<<4 | quad[2]>>2, quad[2]<<6 | quad[3]}
		case 3:
			b = []byte{quad[0]<<2 | quad[1]>>4, quad[1]<<4 | quad[2]>>2}
		case 2:
			b = []byte{quad[0]<<2 | quad[1]>>4}
		}
		n = 0
		for _, c := range b {
			if int64(len(out)) >= limit {
				r.truncated = true
				return false
			}
			out = append(out, c)
		}
		return true
	}
	for _, c := range body {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case c == '=':
			if n > 0 {
				if n == 1 {
					garbage = true
				}
				if !emit() {
					r.data = out
					return r
				}
			}
			padded = true
			continue
		}
		v := b64val[c]
		if v == 0xff {
			garbage = true
			continue
		}
		if padded {
			midPad, padded = true, false
		}
		quad[n] = v
		n++
		if n == 4 && !emit() {
			r.data = out
			return r
		}
	}
	if n == 1 {
		garbage = true
	}
	if n > 1 && !emit() {
		r.data = out
		return r
	}
	switch {
	case garbage:
		r.broken, r.severe = "broken base64 (bytes outside the alphabet or a lone trailing character)", true
	case midPad:
		r.broken = "broken base64 (data after padding)"
	case n != 0:
		r.broken = "broken base64 (incomplete final group)"
	}
	r.data = out
	return r
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeQP decodes quoted-printable (RFC 2045 section 6.7) leniently: an
// '=' not followed by two hex digits or a line end is kept literally and
// reported; soft line breaks after CRLF, LF or CR are removed.
func decodeQP(body []byte, limit int64) decodeResult {
	out := make([]byte, 0, min(int64(len(body)), limit))
	var r decodeResult
	for i := 0; i < len(body); i++ {
		if int64(len(out)) >= limit {
			r.truncated = true
			break
		}
		c := body[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(body) {
			if h, ok := unhex(body[i+1]); ok {
				if l, ok := unhex(body[i+2]); ok {
					out = append(out, h<<4|l)
					i += 2
					continue
				}
			}
		}
		// Soft line break: '=' then optional trailing white space, then EOL.
		j := i + 1
		for j < len(body) && isWSP(body[j]) {
			j++
		}
		if j >= len(body) {
			i = j
			continue
		}
		if body[j] == '\n' {
			i = j
			continue
		}
		if body[j] == '\r' {
			if j+1 < len(body) && body[j+1] == '\n' {
				j++
			}
			i = j
			continue
		}
		r.broken = "broken quoted-printable ('=' not followed by two hex digits)"
		out = append(out, c)
	}
	r.data = out
	return r
}
