package mimewalk

import (
	"fmt"
	"strings"
)

// Several readings of one message. A mail client, a downstream filter or
// an antivirus engine may read an ambiguous message another way than the
// walk's first choice; what matters is whether another reading shows a
// file that the inspected reading does not. Defects that change nothing a
// reader could open are notes; an alternative reading with a file of its
// own is malformed ("readings disagree on the attachments").

// attachmentKey identifies a file a client shows, whatever its bytes:
// the bytes of the same file can differ between readings (a decoded
// multipart body changes base64 text), and both readings are inspected.
func attachmentKey(p Part) string {
	return p.MediaType + " " + fmt.Sprintf("%q", p.Filename)
}

// newAttachments returns the files of alt that primary does not show
// (counted: two files of one name need two in primary).
func newAttachments(alt, primary []Part) []string {
	have := map[string]int{}
	for _, p := range primary {
		if p.Attachment && p.Body != nil {
			have[attachmentKey(p)]++
		}
	}
	var out []string
	for _, p := range alt {
		if !p.Attachment || p.Body == nil {
			continue
		}
		k := attachmentKey(p)
		if have[k] > 0 {
			have[k]--
			continue
		}
		out = append(out, k)
	}
	return out
}

// disagree records the malformed problem of readings that disagree.
func (w *walker) disagree(path, readings string, extra []string) {
	more := ""
	if len(extra) > 1 {
		more = fmt.Sprintf(" and %d more", len(extra)-1)
	}
	w.problem(path, fmt.Sprintf("readings disagree on the attachments (%s: %s%s)", readings, truncate(extra[0], 80), more), true)
}

// readingMode is how a walk reads the header lines readers disagree on:
// a line that is not a field, a comment in a field name.
type readingMode int

const (
	// readLenient skips a line that is not a field (as Thunderbird does)
	// and reads "Content-Type(x):" as Content-Type (as ClamAV does).
	readLenient readingMode = iota
	// readStrict ends the header at a line that is not a field (as
	// Postfix and Python's email package do) and takes a commented name
	// for an unknown field.
	readStrict
	// readJoined appends such a line to the field before it, which is
	// what a writer that forgot the folding white space meant.
	readJoined
)

// compareReadings walks raw again the strict and the joined way and
// reports when either reading shows a file the lenient walk does not.
func (w *walker) compareReadings(raw []byte) {
	for _, r := range []struct {
		mode readingMode
		name string
	}{{readStrict, "strict header reading"}, {readJoined, "header lines joined"}} {
		ow := &walker{lim: w.lim, msg: &Message{}, maxWork: w.maxWork, reading: r.mode}
		ow.entity(raw, "", 0, true)
		if extra := newAttachments(ow.msg.Parts, w.msg.Parts); len(extra) > 0 {
			w.disagree("", r.name, extra)
			return
		}
	}
}

// settleAlternative decides what a second reading (of a multipart: its
// transfer-decoded body; of a text body: its pushed header section; the
// readings named by readings) with parts from index parts0, problems from
// index problems0, means: when it shows no file the first reading lacks, its
// parts are marked Alternative and its problems become notes (except the
// limits: a walk cut short is never vouched for).
func (w *walker) settleAlternative(path, readings string, primary []Part, parts0, problems0 int) {
	alt := w.msg.Parts[parts0:]
	if extra := newAttachments(alt, primary); len(extra) > 0 {
		w.disagree(path, readings, extra)
		return
	}
	for i := range alt {
		alt[i].Alternative = true
	}
	for i := problems0; i < len(w.msg.Problems); i++ {
		p := &w.msg.Problems[i]
		// A limit cut the walk short: what lies beyond is unknown.
		if p.Malformed && !strings.Contains(p.Reason, "limit") {
			p.Malformed = false
			p.Reason = "alternative reading: " + strings.TrimPrefix(p.Reason, "alternative reading: ")
		}
	}
}
