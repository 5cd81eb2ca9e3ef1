package icap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/mailtower/mailtower/scan/internal/sock"
)

const (
	// maxLine bounds one header line, maxHeader a whole header section,
	// maxFields its field count: real answers are a few hundred bytes.
	maxLine   = 8 << 10
	maxHeader = 64 << 10
	maxFields = 200
	// maxBody caps the encapsulated page read for a threat name.
	maxBody = 1 << 20
	// maxNameLen bounds a threat name; real ones are under 100 bytes.
	maxNameLen = 200
	// blocked names a threat the server blocked without naming it.
	blocked = "ICAP-Blocked"
)

// errGarbled marks a reply that is not ICAP.
var errGarbled = errors.New("garbled reply")

// response is an ICAP response head (RFC 3507 section 4.3.3).
type response struct {
	status int
	reason string
	// header maps lower-case field names to their values, one per
	// occurrence, continuation lines kept as "\n"-separated lines.
	header map[string][]string
	// sections are the Encapsulated entities in offset order, such as
	// "res-hdr", "res-body" or "null-body".
	sections []string
}

// readResponse reads a status line and header section. A reply that is
// not "ICAP/1.x NNN ..." with well-formed fields is an error.
func readResponse(br *bufio.Reader) (*response, error) {
	budget := maxHeader
	line, err := readLine(br, &budget)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("connection closed without a reply")
		}
		return nil, err
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, reason, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "ICAP/1.") || err != nil || len(code) != 3 || n < 100 {
		return nil, fmt.Errorf("%w: status line %q", errGarbled, sock.Clip(line))
	}
	r := &response{status: n, reason: reason, header: map[string][]string{}}
	var last string
	for fields := 0; ; fields++ {
		line, err := readLine(br, &budget)
		if err != nil {
			return nil, fmt.Errorf("ICAP %d header: %w", n, noEOF(err))
		}
		if line == "" {
			break
		}
		if fields >= maxFields {
			return nil, fmt.Errorf("%w: more than %d header lines", errGarbled, maxFields)
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, fmt.Errorf("%w: continuation line first", errGarbled)
			}
			vals := r.header[last]
			vals[len(vals)-1] += "\n" + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("%w: header line %q", errGarbled, sock.Clip(line))
		}
		last = strings.ToLower(name)
		r.header[last] = append(r.header[last], strings.TrimSpace(value))
	}
	if enc, ok := r.header["encapsulated"]; ok {
		if r.sections, err = parseEncapsulated(enc[0]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// parseEncapsulated reads "res-hdr=0, res-body=161" into its entity names
// in offset order (RFC 3507 section 4.4.1).
func parseEncapsulated(v string) ([]string, error) {
	type entity struct {
		name string
		at   int
	}
	var es []entity
	for _, part := range strings.Split(v, ",") {
		name, off, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(off)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("%w: Encapsulated %q", errGarbled, sock.Clip(v))
		}
		switch name {
		case "req-hdr", "res-hdr", "req-body", "res-body", "null-body", "opt-body":
		default:
			return nil, fmt.Errorf("%w: Encapsulated %q", errGarbled, sock.Clip(v))
		}
		es = append(es, entity{name, n})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].at < es[j].at })
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.name
	}
	return out, nil
}

// verdict turns a final response into threat names: none for 204, or for
// 200 with the message returned unchanged (a 2xx encapsulated response
// and no threat header). A 200 that names no threat but carries an error
// page (c-icap's 403 "VIRUS FOUND") is a threat, named from the page when
// it can be. Every other status is an error.
func (r *response) verdict(br *bufio.Reader) ([]string, error) {
	names := r.threats()
	switch r.status {
	case 204:
		return names, nil
	case 200:
	default:
		return nil, fmt.Errorf("ICAP server answered %d %s", r.status, sock.Clip(r.reason))
	}
	if len(names) > 0 {
		return names, nil
	}
	httpStatus := 0
	for _, s := range r.sections {
		switch s {
		case "req-hdr":
			if _, err := readHTTPHeader(br); err != nil {
				return nil, err
			}
		case "res-hdr":
			line, err := readHTTPHeader(br)
			if err != nil {
				return nil, err
			}
			if httpStatus, err = httpCode(line); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case httpStatus == 0:
		return nil, fmt.Errorf("%w: 200 without an encapsulated response header", errGarbled)
	case httpStatus < 300:
		return nil, nil
	}
	name := blocked
	if r.has("res-body") {
		page, err := io.ReadAll(io.LimitReader(httputil.NewChunkedReader(br), maxBody))
		if err != nil {
			return nil, fmt.Errorf("read encapsulated page: %w", noEOF(err))
		}
		if n := pageThreat(page); n != "" {
			name = n
		}
	}
	return []string{name}, nil
}

func (r *response) has(section string) bool {
	for _, s := range r.sections {
		if s == section {
			return true
		}
	}
	return false
}

// threats reads the threat names from the de-facto standard headers:
// X-Infection-Found "Type=0; Resolution=2; Threat=NAME;" (draft-stecher-
// icap-subid), X-Violations-Found "COUNT" followed by lines of four
// fields per violation (file name, threat, problem id, resolution),
// X-Virus-ID and X-Virus-Name "NAME". Each name once, in order.
func (r *response) threats() []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if n = cleanName(n); n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, v := range r.header["x-infection-found"] {
		for _, p := range strings.Split(v, ";") {
			if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "Threat") {
				add(val)
			}
		}
	}
	for _, v := range r.header["x-violations-found"] {
		lines := strings.Split(v, "\n")
		count, err := strconv.Atoi(strings.TrimSpace(lines[0]))
		if err != nil || count <= 0 {
			continue
		}
		found := false
		for i := 2; i < len(lines) && i/4 < count; i += 4 {
			add(lines[i])
			found = true
		}
		if !found {
			add(blocked)
		}
	}
	for _, h := range []string{"x-virus-id", "x-virus-name"} {
		for _, v := range r.header[h] {
			add(v)
		}
	}
	return out
}

// cleanName makes a threat name safe for headers and logs: printable
// UTF-8, at most maxNameLen bytes. "" for an empty name or a placeholder.
func cleanName(s string) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "?"))
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxNameLen {
		s = strings.ToValidUTF8(s[:maxNameLen], "")
	}
	switch s {
	case "-", "Unknown", "unknown", "?":
		return ""
	}
	return s
}

// pageThreat finds the threat name in c-icap's VIRUS_FOUND page:
// "... contains the virus:\n   <b> NAME </b>".
func pageThreat(page []byte) string {
	_, after, ok := bytes.Cut(page, []byte("contains the virus:"))
	if !ok {
		return ""
	}
	_, after, ok = bytes.Cut(after, []byte("<b>"))
	name, _, ok2 := bytes.Cut(after, []byte("</b>"))
	if !ok || !ok2 {
		return ""
	}
	return cleanName(string(name))
}

// readHTTPHeader reads an encapsulated HTTP header section and returns
// its first line.
func readHTTPHeader(br *bufio.Reader) (string, error) {
	budget := maxHeader
	first, err := readLine(br, &budget)
	if err != nil {
		return "", fmt.Errorf("encapsulated header: %w", noEOF(err))
	}
	for line := first; line != ""; {
		if line, err = readLine(br, &budget); err != nil {
			return "", fmt.Errorf("encapsulated header: %w", noEOF(err))
		}
	}
	return first, nil
}

// httpCode reads the status of "HTTP/1.1 403 Forbidden".
func httpCode(line string) (int, error) {
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/") || err != nil || len(code) != 3 || n < 100 {
		return 0, fmt.Errorf("%w: encapsulated status line %q", errGarbled, sock.Clip(line))
	}
	return n, nil
}

// readLine reads one CRLF- (or LF-) terminated line, charging it to
// budget; a line over maxLine or a spent budget is an error.
func readLine(br *bufio.Reader, budget *int) (string, error) {
	var b []byte
	for {
		frag, err := br.ReadSlice('\n')
		b = append(b, frag...)
		*budget -= len(frag)
		if len(b) > maxLine || *budget < 0 {
			return "", fmt.Errorf("%w: header too long", errGarbled)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// noEOF reports a reply that ends early as truncated.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated reply: %w", io.ErrUnexpectedEOF)
	}
	return err
}
