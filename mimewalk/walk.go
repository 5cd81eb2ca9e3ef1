// Package mimewalk reads a raw Internet message (RFC 5322, MIME RFC 2045-2049)
// the way a suspicious mail filter must: it never fails on bad structure,
// decodes what can be decoded, records every irregularity as a Problem, and
// where mail clients could disagree about the structure (duplicate
// boundaries, conflicting Content-Type headers) it walks every reading.
//
// Work is bounded by Limits: nesting depth, number of parts, decoded bytes
// per part and per message, and the bytes read from the input.
package mimewalk

import (
	"fmt"
	"io"
	"strings"
)

// Default limits, used for every zero field of Limits.
const (
	DefaultMaxDepth        = 20
	DefaultMaxParts        = 1000
	DefaultMaxPartBytes    = 64 << 20
	DefaultMaxTotalBytes   = 64 << 20
	DefaultMaxMessageBytes = 128 << 20
)

// Limits bound the work of one walk. A zero field takes its default.
type Limits struct {
	// MaxDepth is the deepest multipart / message/rfc822 nesting walked.
	MaxDepth int
	// MaxParts is the most entities (parts) recorded.
	MaxParts int
	// MaxPartBytes caps one part's decoded body.
	MaxPartBytes int64
	// MaxTotalBytes caps the decoded bodies of all parts together.
	MaxTotalBytes int64
	// MaxMessageBytes caps the bytes read from the input.
	MaxMessageBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = DefaultMaxPartBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return l
}

// Message is a walked message.
type Message struct {
	// Header is the top-level header.
	Header Header
	// Parts lists every entity in walk order, the message itself first
	// (Path ""), containers (multipart, message/rfc822) included.
	Parts []Part
	// Problems lists every irregularity found.
	Problems []Problem
}

// Part is one MIME entity.
//
// Paths: the message is "", its parts "1", "2", the parts of "2" are
// "2.1", "2.2"; the message inside a message/rfc822 part P is P.1. When a
// multipart has several readings (several boundary candidates), the parts
// of the second reading of P are numbered P#2.1, P#2.2, and so on.
// Files uuencoded inside a plain-text part P are parts P.u1, P.u2 (u1, u2
// for the message itself), which clients show as attachments.
type Part struct {
	Path  string
	Depth int
	// Header is the entity's own MIME header.
	Header Header
	// MediaType is the lower-case type/subtype of the first Content-Type
	// field; text/plain when there is none or it is unreadable.
	MediaType string
	// Params are the first value of each Content-Type parameter.
	Params map[string]string
	// Filename is the decoded file name (Content-Disposition filename,
	// else Content-Type name); Names holds every distinct candidate, for
	// headers that offer several (duplicate or conflicting parameters,
	// RFC 2231 and plain forms that disagree).
	Filename string
	Names    []string
	// Body is the transfer-decoded body of a leaf (nil for containers),
	// at most Limits.MaxPartBytes long.
	Body []byte
	// Text is the body of a text/* part converted to UTF-8 from its
	// charset (also of a multipart whose boundary was not found, which
	// clients show as text); HTML stays HTML (see HTMLText).
	Text string
	// Truncated is set when Body stopped at a decode limit.
	Truncated bool
	// Attachment is set for parts a client shows as a file: a filename,
	// Content-Disposition attachment, or a non-text leaf.
	Attachment bool
	// Embedded is the header of the message inside a message/rfc822 part.
	Embedded *Header
	// Alternative is set for the parts of a second reading of a multipart
	// (its body decoded from a transfer encoding a multipart must not
	// have) that shows no attachment the first reading lacks: they are
	// inspected, but their problems are notes.
	Alternative bool
}

// Problem is one irregularity. Malformed is set when the structure could
// not be read unambiguously or a limit cut the walk short, so that what a
// mail client shows may differ from what was inspected; the content filter
// turns those into a "malformed" verdict. Other problems are notes.
type Problem struct {
	Path      string
	Reason    string
	Malformed bool
}

// Malformed returns the problems that make the message malformed.
func (m *Message) Malformed() []Problem {
	var out []Problem
	for _, p := range m.Problems {
		if p.Malformed {
			out = append(out, p)
		}
	}
	return out
}

// Walk reads a whole message from r (at most lim.MaxMessageBytes) and walks
// it. The error is only ever an I/O error of r.
func Walk(r io.Reader, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	raw, err := readAll(r, lim.MaxMessageBytes+1)
	if err != nil {
		return nil, fmt.Errorf("mimewalk: read message: %w", err)
	}
	over := int64(len(raw)) > lim.MaxMessageBytes
	if over {
		raw = raw[:lim.MaxMessageBytes]
	}
	m := WalkBytes(raw, lim)
	if over {
		m.Problems = append(m.Problems, Problem{Reason: "message exceeds the parse limit", Malformed: true})
	}
	return m, nil
}

// readAll reads at most n bytes of r, in one allocation when r knows its
// size (*io.SectionReader, *bytes.Reader, ...).
func readAll(r io.Reader, n int64) ([]byte, error) {
	if s, ok := r.(interface{ Size() int64 }); ok && s.Size() >= 0 {
		buf := make([]byte, min(s.Size(), n))
		k, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		return buf[:k], err
	}
	return io.ReadAll(io.LimitReader(r, n))
}

// WalkBytes walks a message held in memory. Bodies of parts that need no
// decoding share raw's memory.
func WalkBytes(raw []byte, lim Limits) *Message {
	lim = lim.withDefaults()
	if int64(len(raw)) > lim.MaxMessageBytes {
		raw = raw[:lim.MaxMessageBytes]
	}
	w := &walker{lim: lim, msg: &Message{}, maxWork: 32*int64(len(raw)) + 1<<20}
	w.entity(raw, "", 0, true)
	if len(w.msg.Parts) > 0 {
		w.msg.Header = w.msg.Parts[0].Header
	}
	if w.lenient {
		w.compareReadings(raw)
	}
	return w.msg
}

// walker holds the state of one walk.
type walker struct {
	lim     Limits
	msg     *Message
	decoded int64 // decoded bytes so far
	work    int64 // bytes scanned for boundaries so far
	maxWork int64
	full    bool // parts limit reached
	seen    map[string]bool
	// reading is how headers are read (readLenient unless this walk is
	// a comparison); lenient is set when the walk met a header line that
	// other readings read differently.
	reading readingMode
	lenient bool
}

// problem records one Problem, once per path and reason.
func (w *walker) problem(path, reason string, malformed bool) {
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	k := path + "\x00" + reason
	if w.seen[k] || len(w.msg.Problems) >= 4*w.lim.MaxParts {
		return
	}
	w.seen[k] = true
	w.msg.Problems = append(w.msg.Problems, Problem{Path: path, Reason: reason, Malformed: malformed})
}

func join(path string, i int) string {
	if path == "" {
		return fmt.Sprint(i)
	}
	return fmt.Sprintf("%s.%d", path, i)
}

// addPart records a part unless the parts limit is reached.
func (w *walker) addPart(p Part) int {
	if len(w.msg.Parts) >= w.lim.MaxParts {
		if !w.full {
			w.full = true
			w.problem(p.Path, fmt.Sprintf("parts limit (%d) exceeded", w.lim.MaxParts), true)
		}
		return -1
	}
	w.msg.Parts = append(w.msg.Parts, p)
	return len(w.msg.Parts) - 1
}

// decodeBudget is how many decoded bytes the next part may produce.
func (w *walker) decodeBudget() int64 {
	return max(0, min(w.lim.MaxPartBytes, w.lim.MaxTotalBytes-w.decoded))
}

// entity walks one entity (header and body) at path.
func (w *walker) entity(b []byte, path string, depth int, top bool) {
	if w.full {
		return
	}
	hp := w.parseHeader(b, path, top)
	p := Part{Path: path, Depth: depth, Header: hp.header}
	ct := w.contentType(&p)
	w.names(&p, ct)
	idx := w.addPart(p)
	if idx < 0 {
		return
	}
	cte := transferEncoding(w, path, hp.header)
	switch {
	case len(ct.boundaries) > 0:
		if depth >= w.lim.MaxDepth {
			w.problem(path, fmt.Sprintf("depth limit (%d) exceeded", w.lim.MaxDepth), true)
			w.leaf(idx, hp.body, cte)
			return
		}
		if !w.multipart(hp.body, path, depth, ct, cte) {
			w.leaf(idx, hp.body, cte)
			return
		}
		if ct.alsoLeaf {
			w.leaf(idx, hp.body, cte)
		}
	case strings.HasPrefix(p.MediaType, "multipart/"):
		w.problem(path, "multipart without boundary parameter", true)
		w.leaf(idx, hp.body, cte)
	case p.MediaType == "message/rfc822" || p.MediaType == "message/global":
		if depth >= w.lim.MaxDepth {
			w.problem(path, fmt.Sprintf("depth limit (%d) exceeded", w.lim.MaxDepth), true)
			w.leaf(idx, hp.body, cte)
			return
		}
		inner := hp.body
		if c := strings.ToLower(cte); c == "base64" || c == "quoted-printable" {
			d := decodeTransfer(hp.body, cte, w.decodeBudget())
			w.decoded += int64(len(d.data))
			inner = d.data
		}
		n := len(w.msg.Parts)
		w.entity(inner, join(path, 1), depth+1, true)
		if n < len(w.msg.Parts) {
			h := w.msg.Parts[n].Header
			w.msg.Parts[idx].Embedded = &h
		}
	default:
		w.leaf(idx, hp.body, cte)
	}
}
