package mimewalk

import (
	"slices"
	"strings"
)

// leaf decodes the body of the part at idx.
func (w *walker) leaf(idx int, body []byte, cte string) {
	p := &w.msg.Parts[idx]
	d := decodeTransfer(body, cte, w.decodeBudget())
	w.decoded += int64(len(d.data))
	p.Body, p.Truncated = d.data, d.truncated
	if d.name != "" && !slices.Contains(p.Names, d.name) {
		p.Names = append(p.Names, d.name)
		if p.Filename == "" {
			p.Filename = d.name
		}
		p.Attachment = true
	}
	if d.unknown {
		// A text part is shown as it is; a file in an unknown encoding
		// cannot be inspected as what the client (or another scanner)
		// will make of it.
		w.problem(p.Path, "unknown transfer encoding "+strings.ToLower(cte), p.Attachment)
	}
	if d.broken != "" {
		// Broken text is read as far as it goes; a file whose encoding
		// decoders read differently is malformed.
		w.problem(p.Path, d.broken, p.Attachment && d.severe)
	}
	if d.truncated {
		w.problem(p.Path, "decoded size limit exceeded", true)
	}
	// Text for text parts, and for a multipart that could not be split:
	// clients show such a body as text, so the content rules must see it.
	if strings.HasPrefix(p.MediaType, "text/") || strings.HasPrefix(p.MediaType, "multipart/") && isTextual(p.Body) {
		cs := p.Params["charset"]
		t, ok := decodeCharset(p.Body, cs)
		if !ok {
			w.problem(p.Path, "unknown charset "+strings.ToLower(cs), false)
		}
		// The text counts against the message's decoded bytes too: a
		// charset conversion can be larger than the body it came from.
		if left := max(0, w.lim.MaxTotalBytes-w.decoded); int64(len(t)) > left {
			t = strings.ToValidUTF8(t[:left], "")
			p.Truncated = true
			w.problem(p.Path, "decoded size limit exceeded", true)
		}
		w.decoded += int64(len(t))
		p.Text = t
		w.uuParts(idx)
		w.reshaped(idx)
	}
}

// isTextual reports whether a body without a text type would still be shown
// as text (multipart fallbacks): no NUL in its first KiB.
func isTextual(b []byte) bool {
	return strings.IndexByte(string(b[:min(len(b), 1024)]), 0) < 0
}

// transferEncoding returns the Content-Transfer-Encoding, noting duplicates.
func transferEncoding(w *walker, path string, h Header) string {
	vals := h.Values("Content-Transfer-Encoding")
	if len(vals) == 0 {
		return ""
	}
	first := strings.ToLower(strings.TrimSpace(stripComment(vals[0])))
	if strings.Contains(first, "=?") {
		// "=?us-ascii?q?base64?=": ClamAV decodes the encoded word and
		// the body with it, clients show the body as it is. The file is
		// inspected as the decoding reader sees it; the disagreement
		// stays malformed.
		if d := strings.ToLower(strings.TrimSpace(DecodeWords(first))); d == "base64" || d == "quoted-printable" {
			w.problem(path, "encoded word in Content-Transfer-Encoding (read as "+d+")", true)
			first = d
		}
	}
	for _, v := range vals[1:] {
		if strings.ToLower(strings.TrimSpace(stripComment(v))) != first {
			w.problem(path, "conflicting Content-Transfer-Encoding headers", true)
		}
	}
	return first
}
