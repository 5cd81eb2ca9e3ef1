package policyd

import (
	"strings"
)

// NormalizeSender folds the forms of one sender that change from message
// to message, so that a retry (or the next newsletter) matches the same
// greylist triplet: lower case; SRS (SRS0/SRS1) is unwrapped to the
// original address; BATV tags (prvs=, msprvs1=, btv1==) are removed; the
// +extension is dropped; and VERP-style numbers and long hex tokens in the
// local part become "#". The null sender is "<>".
func NormalizeSender(s string) string {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
	if s == "" {
		return "<>"
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return foldTokens(s)
	}
	local, domain := s[:at], s[at+1:]
	if l, d, ok := unwrapSRS(local); ok {
		local, domain = l, d
	}
	local = stripBATV(local)
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return foldTokens(local) + "@" + domain
}

// unwrapSRS returns the original local part and domain of an SRS address:
// SRS0=HHH=TT=domain=local and SRS1=HHH=forwarder==HHH=TT=domain=local
// (Sender Rewriting Scheme; "+" and "-" are also used as separators).
func unwrapSRS(local string) (string, string, bool) {
	var rest string
	switch {
	case len(local) > 5 && strings.HasPrefix(local, "srs0") && isSRSSep(local[4]):
		rest = local[5:]
	case len(local) > 5 && strings.HasPrefix(local, "srs1") && isSRSSep(local[4]):
		i := strings.Index(local, "==")
		if i < 0 {
			return "", "", false
		}
		rest = local[i+2:]
	default:
		return "", "", false
	}
	parts := strings.SplitN(rest, "=", 4) // hash, timestamp, domain, local
	if len(parts) != 4 || parts[2] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[3], parts[2], true
}

func isSRSSep(c byte) bool { return c == '=' || c == '+' || c == '-' }

// stripBATV removes a Bounce Address Tag Validation tag:
// prvs=TAG=local (and the older local=TAG order), msprvs1=TAG=local,
// btv1==TAG==local.
func stripBATV(local string) string {
	for _, p := range []string{"prvs=", "msprvs1="} {
		if !strings.HasPrefix(local, p) {
			continue
		}
		rest := local[len(p):]
		i := strings.IndexByte(rest, '=')
		if i < 0 {
			return local
		}
		if looksLikeTag(rest[:i]) {
			return rest[i+1:]
		}
		if j := strings.LastIndexByte(rest, '='); looksLikeTag(rest[j+1:]) {
			return rest[:j]
		}
		return local
	}
	if strings.HasPrefix(local, "btv1==") {
		if i := strings.Index(local[6:], "=="); i >= 0 {
			return local[6+i+2:]
		}
	}
	return local
}

// looksLikeTag reports whether s is a BATV tag: a short run of letters
// and digits with at least one digit (K DDD SSSSSS in RFC draft terms).
func looksLikeTag(s string) bool {
	if len(s) < 6 || len(s) > 16 {
		return false
	}
	digit := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return digit
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

// senderDomain returns the lower-case domain of an address ("" when none).
func senderDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(addr[at+1:]), ".")
}

// inDomain reports whether domain is d or a subdomain of d.
func inDomain(domain, d string) bool {
	return domain == d || strings.HasSuffix(domain, "."+d)
}
