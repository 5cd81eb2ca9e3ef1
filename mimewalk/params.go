package mimewalk

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Parameter limits: a hostile header can carry thousands of parameters.
// A value longer than maxParamLength is cut, except a boundary: cutting it
// would lose the delimiter lines a client finds in the body. A boundary is
// bounded by the header size limit (maxHeaderBytes) instead, and matching
// its delimiters costs at most the length of each body line.
const (
	maxParams      = 64
	maxCandidates  = 8
	maxParamLength = 4096
	// maxBoundary is the longest boundary RFC 2046 section 5.1.1 allows;
	// longer ones are a note.
	maxBoundary = 70
)

// param is one raw name=value pair as written.
type param struct {
	name, value string
}

// mediaType is a parsed Content-Type or Content-Disposition value: the
// lower-case type and every value seen for each parameter, in order,
// without duplicates. Keeping every value (instead of the last, as
// mime.ParseMediaType would, or an error) is what lets the walk try every
// interpretation a mail client might choose.
type mediaType struct {
	typ    string
	params map[string][]string
	// problems found while parsing (unterminated quote, duplicates).
	problems []string
	// conflict is set when one parameter has several different values.
	conflict []string
}

// first returns the first value of a parameter.
func (m mediaType) first(name string) string {
	if v := m.params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseMediaType reads "type/subtype; a=b; c="d"" leniently. A value after
// a quoted string (a="x"y) yields both readings; RFC 2231 extended values
// and continuations (name*=, name*0=, name*1*=) are assembled.
func parseMediaType(v string) mediaType {
	m := mediaType{params: map[string][]string{}}
	typ, rest, _ := strings.Cut(v, ";")
	m.typ = strings.ToLower(strings.TrimSpace(stripComment(typ)))
	var raw []param
	for len(rest) > 0 && len(raw) < maxParams {
		rest = strings.TrimLeft(rest, "; \t\r\n")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			if eq < 0 {
				break
			}
			rest = rest[eq:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var vals []string
		vals, rest = m.readValue(rest)
		for _, val := range vals {
			if len(val) > maxParamLength && !strings.HasPrefix(name, "boundary") {
				val = val[:maxParamLength]
			}
			raw = append(raw, param{name, val})
		}
	}
	m.assemble(raw)
	return m
}

// readValue reads one parameter value and returns its readings.
func (m *mediaType) readValue(s string) (vals []string, rest string) {
	if !strings.HasPrefix(s, "\"") {
		end := strings.IndexByte(s, ';')
		if end < 0 {
			end = len(s)
		}
		tok := strings.TrimSpace(s[:end])
		vals = []string{tok}
		// Some parsers stop a token at white space, others at ';'.
		if sp := strings.IndexAny(tok, " \t"); sp > 0 {
			vals = append(vals, tok[:sp])
		}
		return vals, s[end:]
	}
	var b strings.Builder
	i := 1
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == '"' {
			break
		}
		b.WriteByte(c)
	}
	if i >= len(s) {
		m.problems = append(m.problems, "unterminated quoted string")
		return []string{b.String()}, ""
	}
	vals = []string{b.String()}
	rest = s[i+1:]
	end := strings.IndexByte(rest, ';')
	if end < 0 {
		end = len(rest)
	}
	if trail := strings.TrimSpace(rest[:end]); trail != "" {
		// a="x"y: the quoted part, and the whole text as a token.
		m.problems = append(m.problems, "text after quoted parameter value")
		vals = append(vals, strings.TrimSpace(s[:i+1+end]))
	}
	return vals, rest[end:]
}

// assemble turns raw parameters into m.params, joining RFC 2231 sections.
func (m *mediaType) assemble(raw []param) {
	type section struct {
		n       int
		value   string
		encoded bool
	}
	sections := map[string][]section{}
	for _, p := range raw {
		name, star := p.name, false
		if strings.HasSuffix(name, "*") {
			name, star = name[:len(name)-1], true
		}
		base, num, hasNum := strings.Cut(name, "*")
		if hasNum {
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || n > 999 {
				m.problems = append(m.problems, "bad RFC 2231 section "+p.name)
				continue
			}
			sections[base] = append(sections[base], section{n, p.value, star})
			continue
		}
		v := p.value
		if star {
			v = decode2231(v, true)
		}
		m.add(name, v)
	}
	names := make([]string, 0, len(sections))
	for n := range sections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		secs := sections[name]
		sort.SliceStable(secs, func(i, j int) bool { return secs[i].n < secs[j].n })
		var b strings.Builder
		for i, s := range secs {
			if s.n != i {
				m.problems = append(m.problems, "RFC 2231 sections of "+name+" out of sequence")
			}
			v := s.value
			if s.encoded {
				v = decode2231(v, i == 0)
			}
			b.WriteString(v)
		}
		m.add(name, b.String())
	}
}

func (m *mediaType) add(name, v string) {
	for _, old := range m.params[name] {
		if old == v {
			return
		}
	}
	if len(m.params[name]) >= maxCandidates {
		return
	}
	if len(m.params[name]) > 0 {
		m.conflict = append(m.conflict, name)
	}
	m.params[name] = append(m.params[name], v)
}

// decode2231 decodes an RFC 2231 extended value; the first section carries
// charset'language' in front. Unknown charsets keep the percent-decoded
// bytes (read as UTF-8 or Latin-1).
func decode2231(v string, first bool) string {
	cs := ""
	if first {
		if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
			cs, v = parts[0], parts[2]
		}
	}
	dec, err := url.PathUnescape(v)
	if err != nil {
		dec = v
	}
	if cs != "" {
		if t, ok := decodeCharset([]byte(dec), cs); ok {
			return t
		}
	}
	return toUTF8(dec)
}

// stripComment removes an RFC 822 comment "(...)" from a media type.
func stripComment(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		return s[:i]
	}
	return s
}
