package policyd

import (
	"strings"

	"github.com/mailtower/mailtower/address"
)

// NormalizeSender folds the forms of one sender that change from message
// to message, so that a retry (or the next newsletter) matches the same
// greylist triplet: lower case; SRS (SRS0/SRS1) is unwrapped to the
// original address and BATV tags (prvs=, msprvs1=, btv1==) are removed
// (address.Unwrap); the +extension is dropped; and VERP-style numbers and
// long hex tokens in the local part become "#". The null sender is "<>".
func NormalizeSender(s string) string {
	bare := strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
	if bare == "" {
		return "<>"
	}
	a, err := address.Parse(s)
	if err != nil {
		return foldTokens(bare)
	}
	a = a.Unwrap().WithoutExtension()
	return foldTokens(strings.ToLower(a.Local)) + "@" + a.Domain
}

// foldTokens replaces, in a local part, every token (run of letters and
// digits) that is all digits, or is hex of 8 or more characters with a
// digit, by "#": VERP bounce addresses carry message or subscriber ids
// there ("bounce-12345-alice=example.org", "msg-5f3a9c0d2e").
func foldTokens(local string) string {
	var b strings.Builder
	b.Grow(len(local))
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		tok := local[start:end]
		if volatileToken(tok) {
			b.WriteByte('#')
		} else {
			b.WriteString(tok)
		}
		start = -1
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		b.WriteByte(c)
	}
	flush(len(local))
	return b.String()
}

func volatileToken(tok string) bool {
	digits, hex := 0, true
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f':
		default:
			hex = false
		}
	}
	return digits == len(tok) || hex && digits > 0 && len(tok) >= 8
}
