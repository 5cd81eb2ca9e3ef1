package mirror

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MessageIDHash is the index's form of a Message-ID: the SHA-256 (hex) of
// the identifier between its angle brackets, unfolded and without
// surrounding white space or comments; "" when there is none. The index
// can then answer "did message <id> arrive?" (`mirror list --message-id`)
// without holding the identifier, which often names the sender's host and
// user. The value comes from the message header: any bytes.
func MessageIDHash(raw string) string {
	id := NormalizeMessageID(raw)
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// NormalizeMessageID returns the identifier of a Message-ID field value:
// the text between the first "<" and the next ">" with white space
// removed, or, without brackets, the first word of the unfolded value.
func NormalizeMessageID(raw string) string {
	v := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, raw)
	if open := strings.IndexByte(v, '<'); open >= 0 {
		if end := strings.IndexByte(v[open+1:], '>'); end >= 0 {
			return strings.Join(strings.Fields(v[open+1:open+1+end]), "")
		}
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[0], "<>")
}
