package mimewalk

import "github.com/mailtower/mailtower/internal/config"

// LimitsFrom maps the [limits] section of the configuration to walk
// limits: mime_depth, mime_parts, and decoded_size for both the per-part
// and the per-message decoded bytes. The bytes read are not capped here:
// the caller's message is already bounded by the SMTP size limit.
func LimitsFrom(l config.Limits) Limits {
	return Limits{
		MaxDepth:        l.MimeDepth,
		MaxParts:        l.MimeParts,
		MaxPartBytes:    int64(l.Decoded),
		MaxTotalBytes:   int64(l.Decoded),
		MaxMessageBytes: 1 << 62,
	}
}
