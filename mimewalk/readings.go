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

// compareStrict walks raw again as a strict parser reads headers and
// reports when that reading shows a file the lenient walk does not.
func (w *walker) compareStrict(raw []byte) {
	sw := &walker{lim: w.lim, msg: &Message{}, maxWork: w.maxWork, strict: true}
	sw.entity(raw, "", 0, true)
	if extra := newAttachments(sw.msg.Parts, w.msg.Parts); len(extra) > 0 {
		w.disagree("", "strict header reading", extra)
	}
}

// settleAlternative decides what the second reading of a multipart (its
// transfer-decoded body, parts from index parts0, problems from index
// problems0) means: when it shows no file the first reading lacks, its
// parts are marked Alternative and its problems become notes.
func (w *walker) settleAlternative(path, cte string, primary []Part, parts0, problems0 int) {
	alt := w.msg.Parts[parts0:]
	if extra := newAttachments(alt, primary); len(extra) > 0 {
		w.disagree(path, "raw body and "+cte+"-decoded body", extra)
		return
	}
	for i := range alt {
		alt[i].Alternative = true
	}
	for i := problems0; i < len(w.msg.Problems); i++ {
		p := &w.msg.Problems[i]
		if p.Malformed {
			p.Malformed = false
			p.Reason = "alternative reading: " + strings.TrimPrefix(p.Reason, "alternative reading: ")
		}
	}
}
