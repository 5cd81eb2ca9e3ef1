package rules

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strconv"
)

// PDF active content, as the detected types block-filetype rules match
// (like "macro" for Office): a name token anywhere in the file or in a
// Flate-compressed object stream, read after #xx escapes are decoded
// (/J#61vaScript is /JavaScript to a reader).
const (
	// pdfJS: /JavaScript or /JS (a script, run on open with /OpenAction
	// or /AA, or from a link or form field).
	pdfJS = "pdfjs"
	// pdfLaunch: /Launch, an action that starts a program or opens a file.
	pdfLaunch = "pdflaunch"
)

// maxPDFStreams bounds the streams of one PDF that are decompressed.
const maxPDFStreams = 1000

// pdfFacts is what a PDF scan found.
type pdfFacts struct {
	js, launch, openAction bool
	embedded               [][]byte     // content of /EmbeddedFile streams
	names                  []string     // /F and /UF names of file specifications
	efRefs                 map[int]bool // objects an /EF dictionary refers to
}

// pdf looks at a PDF held in memory: active content marks the PDF's file
// (pdfjs, pdflaunch), embedded files are inspected as members.
func (in *inspector) pdf(idx int, data []byte, depth int) {
	f := &in.files[idx]
	facts := pdfFacts{efRefs: map[int]bool{}}
	// In stream data (compressed bytes would show "/JS " by chance about
	// once in 200 MB) only the long names count; a JavaScript action has
	// /S /JavaScript besides its /JS, so a region that only looks like a
	// stream cannot hide one.
	from := 0
	for n, s := range pdfStreams(data) {
		if n >= maxPDFStreams*10 {
			break
		}
		facts.scanNames(data[from:s.start], false)
		facts.scanNames(data[s.start:s.end], true)
		from = s.end
	}
	facts.scanNames(data[from:], false)
	// Object streams first: they may hold the file specifications that
	// name the embedded file streams.
	for _, pass := range []string{"ObjStm", "EmbeddedFile"} {
		for n, s := range pdfStreams(data) {
			if n >= maxPDFStreams || in.ctx.Err() != nil {
				break
			}
			dict := pdfNames(s.dict)
			embedded := dict["EmbeddedFile"] || len(facts.efRefs) > 0 && facts.efRefs[objNumber(s.head)]
			if pass == "ObjStm" && !dict["ObjStm"] || pass == "EmbeddedFile" && !embedded {
				continue
			}
			body := s.data
			if dict["FlateDecode"] {
				var err error
				if body, err = in.inflate(body); err != nil {
					in.readError(f.Where, err)
					return
				}
			}
			if pass == "EmbeddedFile" {
				facts.embedded = append(facts.embedded, body)
			} else {
				facts.scanNames(body, false)
			}
		}
	}
	f = &in.files[idx] // in.files may have grown: re-take the pointer
	switch {
	case facts.js && facts.openAction:
		f.Exts[pdfJS] = true
		f.Desc += " with JavaScript (and an open action)"
	case facts.js:
		f.Exts[pdfJS] = true
		f.Desc += " with JavaScript"
	}
	if facts.launch {
		f.Exts[pdfLaunch] = true
		f.Desc += " with a Launch action"
	}
	where := f.Where
	if (len(facts.embedded) > 0 || len(facts.names) > 0) && depth >= in.maxDepth {
		in.problem(fmt.Sprintf("archive nesting exceeds limit (%d) at %s", in.maxDepth, where))
		return
	}
	for _, name := range facts.names {
		in.listName(where, name)
	}
	for i, body := range facts.embedded {
		if !in.member(where, nil, fmt.Sprintf("(embedded file %d)", i+1), body, depth+1) {
			return
		}
	}
}

// inflate decompresses a Flate stream within the unpack budget; a stream
// broken midway yields what came before the break, as readers show it.
func (in *inspector) inflate(b []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil // not zlib: nothing to read, as for a reader
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(io.LimitReader(&budgetReader{zr, in}, in.bufCap+1))
	if err == errUnpackLimit || in.ctx.Err() != nil || int64(out.Len()) > in.bufCap {
		return nil, errUnpackLimit
	}
	return out.Bytes(), nil
}

// pdfStream is one "stream ... endstream" with the dictionary before it.
type pdfStream struct {
	head       []byte // the text before "obj": "N G "
	dict, data []byte
	start, end int // offsets of the data in the file
}

// objNumber reads the object number of "N G " (the text before "obj").
func objNumber(b []byte) int {
	f := bytes.Fields(b)
	if len(f) < 2 {
		return -1
	}
	n, err := strconv.Atoi(string(f[len(f)-2]))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// pdfStreams finds the streams of a PDF by their keywords: the dictionary
// is the text since the previous "obj", the data runs to "endstream"
// (/Length is not trusted: it may be an indirect or a wrong number).
func pdfStreams(data []byte) func(func(int, pdfStream) bool) {
	return func(yield func(int, pdfStream) bool) {
		n := 0
		for pos := 0; pos < len(data); {
			i := bytes.Index(data[pos:], []byte("stream"))
			if i < 0 {
				return
			}
			at := pos + i
			start := at + len("stream")
			pos = start
			if at >= 3 && string(data[at-3:at]) == "end" {
				continue // "endstream"
			}
			if start < len(data) && data[start] == '\r' {
				start++
			}
			if start >= len(data) || data[start] != '\n' {
				continue
			}
			start++
			end := bytes.Index(data[start:], []byte("endstream"))
			if end < 0 {
				end = len(data) - start
			}
			from := max(0, at-4096)
			dict, head := data[from:at], []byte(nil)
			if k := bytes.LastIndex(dict, []byte("obj")); k >= 0 {
				head = data[max(0, from+k-32) : from+k]
				dict = dict[k:]
			}
			s := pdfStream{head: head, dict: dict, data: bytes.TrimRight(data[start:start+end], "\r\n"), start: start, end: start + end}
			if !yield(n, s) {
				return
			}
			n++
			pos = start + end
		}
	}
}

// scanNames records the active-content names of b and the file names of
// its file specifications; in binary data (long) only names of 6 bytes or
// more count.
func (p *pdfFacts) scanNames(b []byte, long bool) {
	eachName(b, func(name []byte, end int) {
		if long && len(name) < 6 {
			return
		}
		switch string(name) {
		case "JavaScript", "JS":
			p.js = true
		case "Launch":
			p.launch = true
		case "OpenAction", "AA":
			p.openAction = true
		case "EF":
			p.scanRefs(b[end:])
		case "UF", "F":
			if s, ok := pdfString(b[end:]); ok && len(p.names) < maxMembers {
				p.names = append(p.names, s)
			}
		}
	})
}

// scanRefs records the objects "N G R" of the dictionary at the start of
// b (an /EF value: the embedded file streams).
func (p *pdfFacts) scanRefs(b []byte) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<<")) {
		return
	}
	if end := bytes.Index(b, []byte(">>")); end >= 0 {
		b = b[:end]
	}
	f := bytes.Fields(b[:min(len(b), 1024)])
	for i := 2; i < len(f) && len(p.efRefs) < maxMembers; i++ {
		if string(f[i]) == "R" {
			if n, err := strconv.Atoi(string(f[i-2])); err == nil && n >= 0 {
				p.efRefs[n] = true
			}
		}
	}
}
