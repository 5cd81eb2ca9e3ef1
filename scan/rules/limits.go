package rules

import "github.com/mailtower/mailtower/mimewalk"

// Limits bound the content filter's (and scan/avparts') work on one
// message; the composition root fills them from the [limits] section,
// whose fields they mirror.
type Limits struct {
	// MimeDepth is the deepest MIME / message/rfc822 nesting parsed.
	MimeDepth int
	// MimeParts is the most MIME parts inspected.
	MimeParts int
	// ArchiveDepth is the deepest archive nesting opened.
	ArchiveDepth int
	// Unpacked is the most bytes decompressed from archives per message.
	Unpacked int64
	// Decoded is the most transfer-decoded bytes kept per message.
	Decoded int64
}

// DefaultLimits are the defaults of the [limits] section.
var DefaultLimits = Limits{MimeDepth: 20, MimeParts: 1000, ArchiveDepth: 4, Unpacked: 200_000_000, Decoded: 64_000_000}

// Walk returns the MIME walk limits: MimeDepth, MimeParts, and Decoded
// for both the per-part and the per-message decoded bytes. The bytes read
// are not capped here: the caller's message is already bounded by the
// SMTP size limit.
func (l Limits) Walk() mimewalk.Limits {
	return mimewalk.Limits{
		MaxDepth:        l.MimeDepth,
		MaxParts:        l.MimeParts,
		MaxPartBytes:    l.Decoded,
		MaxTotalBytes:   l.Decoded,
		MaxMessageBytes: 1 << 62,
	}
}
