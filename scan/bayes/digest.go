package bayes

import (
	"crypto/sha256"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mailtower/mailtower/mimewalk"
)

// subjectTags are the prefixes mailtower itself adds when tagging; a
// tagged copy has the same content as the untagged one.
var subjectTags = []string{"*** SPAM ***", "*** CF ***"}

// digest is the SHA-256 of a message's normalised content: the decoded
// subject without mailtower's tags, and every part's type, file name and
// decoded body, with text white space collapsed. Trace and envelope-like
// headers (Received, Date, Message-ID, From, To) are left out, so that the
// same message sent again, by anyone, through any relay, re-encoded
// (quoted-printable or base64, CRLF or LF, re-wrapped), has the same
// digest.
func digest(m *mimewalk.Message) Digest {
	h := sha256.New()
	subj := strings.TrimSpace(m.Header.Subject())
	for again := true; again; {
		again = false
		for _, tag := range subjectTags {
			if strings.HasPrefix(subj, tag) {
				subj = strings.TrimSpace(subj[len(tag):])
				again = true
			}
		}
	}
	io.WriteString(h, "subject\x00")
	writeCollapsed(h, subj)
	for i := range m.Parts {
		p := &m.Parts[i]
		if p.Body == nil && (strings.HasPrefix(p.MediaType, "multipart/") || p.MediaType == "message/rfc822") {
			continue // containers: their children carry the content
		}
		io.WriteString(h, "\x01part\x00"+p.MediaType+"\x00"+p.Filename+"\x00")
		if strings.HasPrefix(p.MediaType, "text/") {
			writeCollapsed(h, p.Text)
		} else {
			h.Write(p.Body)
		}
	}
	var d Digest
	h.Sum(d[:0])
	return d
}

// writeCollapsed writes s with every run of white space as one space and
// none at the ends.
func writeCollapsed(w io.Writer, s string) {
	buf := make([]byte, 0, 4096)
	space := false
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			// ASCII, bytewise: most text is.
			i++
			if c == ' ' || '\t' <= c && c <= '\r' {
				space = true
				continue
			}
			if space {
				buf = append(buf, ' ')
				space = false
			}
			buf = append(buf, c)
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			if isSpace(r) {
				space = true
				continue
			}
			if space {
				buf = append(buf, ' ')
				space = false
			}
			// An invalid byte is written as U+FFFD, as ranging over
			// the string did: digests of learned mail stay the same.
			buf = utf8.AppendRune(buf, r)
		}
		if len(buf) >= 4000 {
			w.Write(buf)
			buf = buf[:0]
		}
	}
	w.Write(buf)
}
