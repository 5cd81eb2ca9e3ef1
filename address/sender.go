package address

import "strings"

// Unwrap returns the address a rewritten envelope sender stands for:
// an SRS address (SRS0=HHH=TT=domain=local@forwarder, and SRS1's
// forwarder==HHH=TT=domain=local) becomes local@domain, and a Bounce
// Address Tag Validation tag (prvs=TAG=local, local=TAG, msprvs1=TAG=local,
// btv1==TAG==local) is removed. Other addresses are returned unchanged.
// Neither SRS hashes nor BATV tags are verified: the envelope sender is a
// claim, whichever form it takes.
func (a Address) Unwrap() Address {
	if l, d, ok := unwrapSRS(a.Local); ok {
		if dom, err := Domain(d); err == nil {
			a = Address{Local: l, Domain: dom}
		}
	}
	a.Local = stripBATV(a.Local)
	return a
}

// MatchSender reports whether a sender rule's value (canonical, as the
// settings store keeps it) matches an envelope sender. "@example.com"
// matches senders in example.com and its subdomains; "a@example.com"
// matches that sender, its "+ext" forms, and SRS or BATV forms of either.
// The null sender and a sender that is not an address match nothing.
func MatchSender(value, sender string) bool {
	a, err := Parse(sender)
	if err != nil {
		return false
	}
	u := a.Unwrap()
	if parent, ok := strings.CutPrefix(value, "@"); ok {
		return InDomain(a.Domain, parent) || InDomain(u.Domain, parent)
	}
	// Cheap pre-check before building canonical forms: the domains differ.
	if !strings.HasSuffix(value, "@"+a.Domain) && !strings.HasSuffix(value, "@"+u.Domain) {
		return false
	}
	return a.Canonical() == value || a.WithoutExtension().Canonical() == value ||
		(u != a && (u.Canonical() == value || u.WithoutExtension().Canonical() == value))
}

// unwrapSRS returns the original local part and domain of an SRS local part
// (Sender Rewriting Scheme; "+" and "-" are also used as separators).
func unwrapSRS(local string) (string, string, bool) {
	if len(local) <= 5 || !isSRSSep(local[4]) {
		return "", "", false
	}
	var rest string
	switch strings.ToLower(local[:4]) {
	case "srs0":
		rest = local[5:]
	case "srs1":
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

// stripBATV removes a BATV tag from a local part.
func stripBATV(local string) string {
	for _, p := range [...]string{"prvs=", "msprvs1="} {
		if len(local) < len(p) || !strings.EqualFold(local[:len(p)], p) {
			continue
		}
		rest := local[len(p):]
		i := strings.IndexByte(rest, '=')
		if i < 0 {
			return local
		}
		if looksLikeTag(rest[:i]) && i+1 < len(rest) {
			return rest[i+1:]
		}
		if j := strings.LastIndexByte(rest, '='); j > 0 && looksLikeTag(rest[j+1:]) {
			return rest[:j]
		}
		return local
	}
	if len(local) >= 6 && strings.EqualFold(local[:6], "btv1==") {
		if i := strings.Index(local[6:], "=="); i >= 0 && 6+i+2 < len(local) {
			return local[6+i+2:]
		}
	}
	return local
}

// looksLikeTag reports whether s is a BATV tag: a short run of letters and
// digits with at least one digit (K DDD SSSSSS in the BATV draft's terms).
func looksLikeTag(s string) bool {
	if len(s) < 6 || len(s) > 16 {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return digit
}
