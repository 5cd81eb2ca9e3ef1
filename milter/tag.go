package milter

import (
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/mailtower/mailtower/reinject"
)

// Subject tags, as mail admins know them from other gateways.
const (
	SpamTag    = "*** SPAM *** "
	ContentTag = "*** CF *** "
)

// HeaderPrefix starts every header mailtower adds. Headers from the
// outside that start with it are removed, so a sender cannot fake a verdict.
const HeaderPrefix = reinject.HeaderPrefix

var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	return charset.Reader(cs, r)
}}

// decodeSubject unfolds and decodes RFC 2047 encoded words; on a decoding
// error it returns the unfolded raw text (only used to look for our tag).
func decodeSubject(raw string) string {
	s := unfold(raw)
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		s = d
	}
	return strings.TrimSpace(s)
}

func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "")
	return strings.ReplaceAll(s, "\n", "")
}

// hasTag reports whether a raw subject already starts with tag, either
// plainly or inside an encoded word.
func hasTag(rawSubject, tag string) bool {
	return strings.HasPrefix(decodeSubject(rawSubject), strings.TrimSpace(tag))
}

// tagSubject returns the raw Subject value with tag prefixed exactly once.
// The tag is plain ASCII placed before the original raw text, so encoded
// words stay intact and decodable (RFC 2047 keeps the white space between
// an ordinary word and an encoded word). changed is false when the subject
// already carries the tag.
func tagSubject(rawSubject, tag string) (value string, changed bool) {
	if hasTag(rawSubject, tag) {
		return rawSubject, false
	}
	rest := strings.TrimLeft(rawSubject, " \t")
	if rest == "" {
		return " " + strings.TrimSpace(tag), true
	}
	return " " + tag + rest, true
}

// tagFor is the subject tag for a verdict category with action tag.
func tagFor(category string) string {
	if category == "content" {
		return ContentTag
	}
	return SpamTag
}
