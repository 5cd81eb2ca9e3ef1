package mimewalk

import "strings"

// A header section cut short pushes the MIME structure into a text body:
// Postfix (cleanup, like RFC 5322 parsers) ends the header at a line
// that is not a field and passes the rest on as body, so the
// Content-Type of a multipart and its parts land in a text/plain body.
// The recipient's client, or a filter after this one, may still read
// that body as a MIME entity and show its files. The "reshaped" reading
// walks such a body as an entity (parts P.r1, ...): its files are
// inspected like the others (file-type rules, antivirus part scan). As
// every file of both readings is inspected, a file only the reshaped
// reading shows is a note, not a disagreement: Postfix reshapes real
// Office 365 mail with attachments this way.

// Bounds of the search for a header section at the start of a text body.
const (
	maxPushedLines    = 200
	maxPushedBytes    = 64 << 10
	maxPushedNonField = 2 // lines that are not fields (the one that cut the header)
)

// pushedHeader reports where a header section pushed into body starts:
// after at most a few empty lines, lines that are fields (at most
// maxPushedNonField lines that are not), then an empty line; among the
// fields a Content-Type of a multipart or message, or a
// Content-Transfer-Encoding. Quoted headers of a forwarded text message
// have neither, and walked as an entity they show no file anyway.
func pushedHeader(body []byte) (int, bool) {
	i, start := 0, -1
	fields, nonField, mime := 0, 0, false
	for n := 0; i < len(body) && n < maxPushedLines && i < maxPushedBytes; n++ {
		line, next := nextLine(body, i)
		switch {
		case len(line) == 0 && start < 0:
			if n >= 3 {
				return 0, false
			}
		case len(line) == 0:
			return start, fields > 0 && mime
		case isWSP(line[0]):
			if fields == 0 {
				return 0, false
			}
		default:
			if start < 0 {
				start = i
			}
			name, value, _, ok := splitField(line)
			if !ok {
				if nonField++; nonField > maxPushedNonField {
					return 0, false
				}
				break
			}
			fields++
			v := strings.ToLower(strings.TrimSpace(string(value)))
			switch strings.ToLower(name) {
			case "content-type":
				mime = mime || strings.HasPrefix(v, "multipart/") || strings.HasPrefix(v, "message/")
			case "content-transfer-encoding":
				mime = true
			}
		}
		i = next
	}
	return 0, false
}

// reshaped walks the body of the text part at idx as a MIME entity when
// it starts with a pushed header section (see pushedHeader).
func (w *walker) reshaped(idx int) {
	p := w.msg.Parts[idx]
	if p.MediaType != "text/plain" || p.Attachment || p.Depth >= w.lim.MaxDepth || w.full {
		return
	}
	start, ok := pushedHeader(p.Body)
	if !ok {
		return
	}
	path := p.Path + ".r1"
	if p.Path == "" {
		path = "r1"
	}
	w.problem(p.Path, "header section in a text body (read as MIME too)", false)
	primary := w.msg.Parts[:len(w.msg.Parts):len(w.msg.Parts)]
	parts0, problems0 := len(w.msg.Parts), len(w.msg.Problems)
	w.entity(p.Body[start:], path, p.Depth+1, true)
	if files := newAttachments(w.msg.Parts[parts0:], primary); len(files) > 0 {
		// Inspected as they are; their own defects (an undecodable
		// file) stay what they are.
		w.problem(p.Path, "header section in a text body shows files (inspected)", false)
		return
	}
	w.settleAlternative(path, "", primary, parts0, problems0)
}
