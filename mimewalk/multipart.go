package mimewalk

import (
	"bytes"
	"fmt"
	"strings"
)

// contentTypeInfo is what the walk needs from the Content-Type fields.
type contentTypeInfo struct {
	// boundaries are every distinct boundary candidate of every
	// multipart Content-Type field, in order.
	boundaries []string
	// alsoLeaf is set when the first Content-Type is not multipart but a
	// later one is: the body is then walked both ways.
	alsoLeaf bool
}

// contentType fills p.MediaType and p.Params from every Content-Type field.
func (w *walker) contentType(p *Part) contentTypeInfo {
	var info contentTypeInfo
	p.MediaType, p.Params = "text/plain", map[string]string{}
	vals := p.Header.Values("Content-Type")
	seen := map[string]bool{}
	for i, v := range vals {
		mt := parseMediaType(v)
		for _, pr := range mt.problems {
			w.problem(p.Path, "Content-Type: "+pr, false)
		}
		for _, name := range mt.conflict {
			if name != "boundary" { // reported below, with every candidate
				w.problem(p.Path, "conflicting Content-Type parameter "+name, false)
			}
		}
		valid := strings.Count(mt.typ, "/") == 1 && !strings.ContainsAny(mt.typ, " \t\"")
		if i == 0 {
			if valid {
				p.MediaType = mt.typ
			} else {
				w.problem(p.Path, fmt.Sprintf("invalid Content-Type %q read as text/plain", truncate(mt.typ, 60)), false)
			}
			for k, vs := range mt.params {
				p.Params[k] = vs[0]
			}
		} else if mt.typ != p.MediaType || strings.Join(mt.params["boundary"], "\x00") != p.Params["boundary"] {
			w.problem(p.Path, "conflicting Content-Type headers", true)
		}
		if !strings.HasPrefix(mt.typ, "multipart/") {
			continue
		}
		if i > 0 && !strings.HasPrefix(p.MediaType, "multipart/") {
			info.alsoLeaf = true
		}
		for _, b := range mt.params["boundary"] {
			if b == "" || seen[b] || len(info.boundaries) >= maxCandidates {
				continue
			}
			seen[b] = true
			info.boundaries = append(info.boundaries, b)
			if len(b) > maxBoundary {
				// Only a note: if the body does not hold it, "boundary
				// not found" is malformed on its own.
				w.problem(p.Path, fmt.Sprintf("boundary longer than %d characters (%d)", maxBoundary, len(b)), false)
			}
		}
	}
	if len(info.boundaries) > 1 {
		w.problem(p.Path, "conflicting boundary parameters", true)
	}
	return info
}

// names fills p.Filename, p.Names and p.Attachment.
func (w *walker) names(p *Part, ct contentTypeInfo) {
	disposition := ""
	var cands []string
	for i, v := range p.Header.Values("Content-Disposition") {
		md := parseMediaType(v)
		if i == 0 {
			disposition = md.typ
		}
		cands = append(cands, md.params["filename"]...)
	}
	for _, v := range p.Header.Values("Content-Type") {
		cands = append(cands, parseMediaType(v).params["name"]...)
	}
	seen := map[string]bool{}
	for _, c := range cands {
		c = strings.TrimSpace(DecodeWords(c))
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		p.Names = append(p.Names, c)
	}
	if len(p.Names) > 0 {
		p.Filename = p.Names[0]
	}
	container := len(ct.boundaries) > 0 || strings.HasPrefix(p.MediaType, "multipart/") || strings.HasPrefix(p.MediaType, "message/")
	p.Attachment = disposition == "attachment" || p.Filename != "" || !container && !strings.HasPrefix(p.MediaType, "text/")
}

// multipart walks the body once per boundary candidate and, for a
// multipart that illegally carries a transfer encoding, once more over
// the decoded body (some readers decode it). The decoded reading is an
// alternative: it only matters when it shows a file the raw reading does
// not (settleAlternative). It returns false when no reading found a
// delimiter.
func (w *walker) multipart(body []byte, path string, depth int, ct contentTypeInfo, cte string) bool {
	parts0 := len(w.msg.Parts)
	readings, ok := w.readings(body, path, depth, ct, 0)
	if ok && (cte == "base64" || cte == "quoted-printable") {
		w.problem(path, "transfer encoding "+cte+" on a multipart", false)
		d := decodeTransfer(body, cte, w.decodeBudget())
		w.decoded += int64(len(d.data))
		primary := w.msg.Parts[parts0:len(w.msg.Parts):len(w.msg.Parts)]
		alt0, problems0 := len(w.msg.Parts), len(w.msg.Problems)
		var n int
		n, ok = w.readings(d.data, path, depth, ct, readings)
		readings += n
		w.settleAlternative(path, "raw body and "+cte+"-decoded body", primary, alt0, problems0)
	}
	if ok && readings == 0 {
		w.problem(path, "boundary not found in body", true)
	}
	return readings > 0
}

// readings walks body once per boundary candidate; earlier readings of
// the same multipart number the later ones' paths (P#2.1, ...). ok is
// false when the work limit stopped the walk.
func (w *walker) readings(b []byte, path string, depth int, ct contentTypeInfo, earlier int) (n int, ok bool) {
	for _, bnd := range ct.boundaries {
		if w.work+int64(len(b)) > w.maxWork {
			w.problem(path, "work limit exceeded", true)
			return n, false
		}
		w.work += int64(len(b))
		sp := split(b, bnd, w.lim.MaxParts+1)
		if !sp.found {
			continue
		}
		n++
		prefix := path
		if earlier+n > 1 {
			prefix = fmt.Sprintf("%s#%d", path, earlier+n)
		}
		if !sp.closed {
			w.problem(path, "missing end boundary", true)
		}
		if sp.afterEnd {
			w.problem(path, "parts after the end boundary", true)
		}
		for i, pb := range sp.parts {
			w.entity(pb, join(prefix, i+1), depth+1, false)
		}
	}
	return n, true
}

// splitResult is one reading of a multipart body.
type splitResult struct {
	parts    [][]byte
	found    bool // a delimiter line was seen
	closed   bool // the close delimiter was seen
	afterEnd bool // delimiters followed the close delimiter
}

// split cuts body at the delimiter lines of boundary (RFC 2046 section
// 5.1.1): "--" boundary, optionally "--" for the close delimiter, then only
// white space. Delimiters after the close delimiter still open parts
// (some clients show them) and are reported. At most maxParts parts.
func split(body []byte, boundary string, maxParts int) splitResult {
	var r splitResult
	delim := []byte("--" + boundary)
	start := -1
	for i := 0; i < len(body); {
		line, next := nextLine(body, i)
		if isClose, ok := delimiterLine(line, delim); ok {
			if start >= 0 {
				r.parts = append(r.parts, trimEOL(body[start:i]))
			}
			if r.closed && !isClose {
				r.afterEnd = true
			}
			r.found = true
			start = next
			if isClose {
				r.closed, start = true, -1
			}
			if len(r.parts) >= maxParts {
				return r
			}
		}
		i = next
	}
	if start >= 0 && start <= len(body) {
		r.parts = append(r.parts, body[start:])
		r.closed = false
	}
	return r
}

// delimiterLine reports whether line is a delimiter and whether it closes.
func delimiterLine(line, delim []byte) (isClose, ok bool) {
	if !bytes.HasPrefix(line, delim) {
		return false, false
	}
	rest := line[len(delim):]
	if bytes.HasPrefix(rest, []byte("--")) {
		isClose, rest = true, rest[2:]
	}
	for _, c := range rest {
		if !isWSP(c) {
			return false, false
		}
	}
	return isClose, true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
