package web

import (
	"io"
	"strings"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/quarantine"
)

// preview returns a stored message's header block and its readable text:
// the first text/plain part, else the text of the first HTML part with
// every tag removed. Both are shown as text (escaped by html/template in
// a <pre>): nothing of the message is ever rendered as HTML, so no remote
// image, script or form in it reaches the browser.
func preview(f io.ReadSeeker, lim mimewalk.Limits) (header, text string) {
	header, _ = quarantine.Header(f, maxPreview)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return header, ""
	}
	m, err := mimewalk.Walk(f, lim)
	if err != nil {
		return header, ""
	}
	var html string
	for _, p := range m.Parts {
		if p.Attachment || p.Alternative {
			continue
		}
		switch {
		case p.MediaType == "text/plain" && p.Body != nil:
			return header, clip(p.Text)
		case p.MediaType == "text/html" && html == "":
			html = p.Text
		}
	}
	return header, clip(mimewalk.HTMLText(html))
}

func clip(s string) string {
	if len(s) > maxPreview {
		s = s[:maxPreview] + "\n[…]"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
