package mimewalk

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// Header limits: a header block past them is a Problem and its further
// fields are skipped (the walk still finds where the body starts).
const (
	maxHeaderFields = 1000
	maxHeaderBytes  = 1 << 20
)

// Field is one header field, unfolded, its value trimmed of surrounding
// white space. Value is valid UTF-8: 8-bit bytes that are not UTF-8 are read
// as Latin-1; NUL bytes are kept (both are recorded as Problems).
type Field struct {
	Name  string
	Value string
}

// Header is the header block of a message or MIME part, in order.
type Header struct {
	Fields []Field
}

// Get returns the raw value of the first field named name (case-insensitive).
func (h Header) Get(name string) string {
	for _, f := range h.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the raw values of every field named name.
func (h Header) Values(name string) []string {
	var out []string
	for _, f := range h.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Decoded returns the first field named name with RFC 2047 encoded words
// decoded to UTF-8; words in unknown charsets are left as they are.
func (h Header) Decoded(name string) string { return DecodeWords(h.Get(name)) }

// Subject is the decoded Subject.
func (h Header) Subject() string { return h.Decoded("Subject") }

// From is the decoded From field.
func (h Header) From() string { return h.Decoded("From") }

// To is the decoded To field.
func (h Header) To() string { return h.Decoded("To") }

// MessageID is the raw Message-Id field.
func (h Header) MessageID() string { return h.Get("Message-Id") }

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// DecodeWords decodes RFC 2047 encoded words in s. When a word cannot be
// decoded (unknown charset, broken encoding) it decodes each word on its
// own and keeps the undecodable ones verbatim, so one bad word never hides
// the others.
func DecodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return toUTF8(d)
	}
	fields := strings.Fields(s)
	for i, f := range fields {
		if d, err := wordDecoder.Decode(f); err == nil {
			fields[i] = toUTF8(d)
		}
	}
	return strings.Join(fields, " ")
}

// toUTF8 returns s when it is valid UTF-8 and its Latin-1 reading otherwise.
func toUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// decodeCharset converts text in the named charset to UTF-8. ok is false
// when the charset is unknown or the conversion failed; the returned text
// is then the best reading available (UTF-8 if valid, else Latin-1).
func decodeCharset(body []byte, label string) (text string, ok bool) {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "utf-8", "utf8":
		return strings.ToValidUTF8(string(body), "\uFFFD"), true
	case "", "us-ascii", "ascii":
		// A us-ascii part with 8-bit bytes is read like clients read it:
		// UTF-8 if it is, Latin-1 if not.
		return toUTF8(string(body)), true
	}
	r, err := charset.Reader(label, bytes.NewReader(body))
	if err != nil {
		return toUTF8(string(body)), false
	}
	// A single-byte charset at most triples in UTF-8; the limit bounds a
	// decoder that misbehaves.
	out, err := io.ReadAll(io.LimitReader(r, int64(len(body))*4+16))
	if err != nil {
		return toUTF8(string(body)), false
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), true
}

// headerParse is the result of reading one header block.
type headerParse struct {
	header Header
	body   []byte
	// headerless is set when the entity had no header at all (a MIME part
	// whose first line is not a field): body is then the whole entity.
	headerless bool
}

// parseHeader reads the header block at the start of b. top is set for a
// message (as opposed to a MIME part): a leading mbox "From " line is then
// skipped and a first line that is not a field is malformed instead of the
// start of a header-less part.
func (w *walker) parseHeader(b []byte, path string, top bool) headerParse {
	var hp headerParse
	var cur *bytes.Buffer // value of the field being unfolded
	var curName string
	size, dropped, sawNUL, saw8bit := 0, false, false, false
	flush := func() {
		if cur == nil {
			return
		}
		v := cur.Bytes()
		if bytes.IndexByte(v, 0) >= 0 {
			// Kept: some readers cut the value at a NUL and some do
			// not, and file type checks look at both readings.
			sawNUL = true
		}
		if !utf8.Valid(v) {
			saw8bit = true
		}
		hp.header.Fields = append(hp.header.Fields, Field{Name: curName, Value: toUTF8(string(bytes.TrimSpace(v)))})
		cur = nil
	}
	i, first := 0, true
	for i < len(b) {
		line, next := nextLine(b, i)
		if len(line) == 0 {
			flush()
			hp.body = b[next:]
			w.headerProblems(path, dropped, sawNUL, saw8bit)
			return hp
		}
		size += next - i
		switch {
		case isWSP(line[0]):
			if cur == nil {
				if first && !top {
					hp.headerless, hp.body = true, b
					w.problem(path, "part without header", false)
					return hp
				}
				w.problem(path, "header continuation line without a field", true)
			} else if size <= maxHeaderBytes {
				cur.WriteByte(' ')
				cur.Write(bytes.TrimLeft(line, " \t"))
			}
		default:
			name, value, commented, ok := splitField(line)
			if ok && commented && w.reading == readStrict {
				// A strict reader does not know the field.
				name = string(line[:bytes.IndexByte(line, ':')])
			}
			if !ok {
				if first && top && bytes.HasPrefix(line, []byte("From ")) {
					break // mbox separator line
				}
				if first && !top {
					hp.headerless, hp.body = true, b
					w.problem(path, "part without header", false)
					return hp
				}
				if w.reading == readStrict {
					// Postfix, and parsers that follow RFC 5322
					// strictly, end the header at a line that is
					// not a field: the rest is body.
					flush()
					hp.body = b[i:]
					w.headerProblems(path, dropped, sawNUL, saw8bit)
					return hp
				}
				if w.reading == readJoined {
					// What Office 365 means by such a line: the field
					// before goes on (unfolded without white space).
					if cur != nil && size <= maxHeaderBytes {
						cur.Write(line)
					}
					break
				}
				// Read as Thunderbird reads it (mimehdrs.cpp): the
				// line is skipped and the header goes on; appending it
				// to the field before could corrupt a Content-Type. The
				// other readings are compared after the walk.
				flush()
				w.lenient = true
				w.problem(path, "header continuation line without leading white space (skipped)", false)
				break
			}
			if commented && w.reading == readLenient && len(name) > 8 && strings.EqualFold(name[:8], "content-") {
				// Only the MIME fields shape what a reader shows; a
				// comment elsewhere ("X-Copyright(C):") is not noted.
				w.lenient = true
				w.problem(path, "comment in header field name "+truncate(name, 40), false)
			}
			flush()
			if len(hp.header.Fields) >= maxHeaderFields || size > maxHeaderBytes {
				dropped = true
				break
			}
			curName = name
			cur = bytes.NewBuffer(append(make([]byte, 0, len(value)+16), value...))
		}
		first = false
		i = next
	}
	flush()
	w.headerProblems(path, dropped, sawNUL, saw8bit)
	if len(hp.header.Fields) > 0 || top {
		w.problem(path, "header without end (no empty line, no body)", false)
	}
	return hp
}

func (w *walker) headerProblems(path string, dropped, sawNUL, saw8bit bool) {
	if dropped {
		w.problem(path, "header limit exceeded (too many or too long fields)", true)
	}
	if sawNUL {
		w.problem(path, "NUL byte in header", true)
	}
	if saw8bit {
		w.problem(path, "8-bit header not in UTF-8", false)
	}
}
