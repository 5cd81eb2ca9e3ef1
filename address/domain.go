package address

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// Domain returns the canonical form of a domain: lower case, without the
// trailing dot, internationalised labels converted to their ASCII
// ("xn--") form by the IDNA lookup rules (UTS #46), so that the UTF-8
// domain of an SMTPUTF8 message and the punycode of an ASCII one are the
// same key. A domain literal ("[192.0.2.1]", "[IPv6:...]") is kept, lower
// case. Domain(Domain(s)) == Domain(s).
func Domain(s string) (string, error) {
	d := strings.TrimSuffix(strings.TrimSpace(s), ".")
	if strings.HasPrefix(d, "[") && strings.HasSuffix(d, "]") && len(d) > 2 {
		for i := 1; i < len(d)-1; i++ {
			if c := d[i]; c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '\\' {
				return "", fmt.Errorf("domain literal %q: bad character", s)
			}
		}
		return strings.ToLower(d), nil
	}
	if !isASCII(d) {
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", fmt.Errorf("domain %q: %w", s, err)
		}
		d = strings.TrimSuffix(a, ".")
	}
	d = strings.ToLower(d)
	if d == "" {
		return "", fmt.Errorf("domain %q: empty", s)
	}
	for i := 0; i < len(d); i++ {
		switch c := d[i]; {
		case c == '.':
			if i == 0 || d[i-1] == '.' {
				return "", fmt.Errorf("domain %q: empty label", s)
			}
		case !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'):
			return "", fmt.Errorf("domain %q: bad character %q", s, c)
		}
	}
	return d, nil
}

// Unicode returns a canonical domain for people to read: A-labels shown
// in UTF-8 where they decode, else the domain unchanged.
func Unicode(domain string) string {
	u, err := idna.Display.ToUnicode(domain)
	if err != nil {
		return domain
	}
	return u
}

// InDomain reports whether the canonical domain is parent or one of its
// subdomains: "mail.example.com" is in "example.com", "badexample.com" is
// not. Both arguments must be canonical (Domain).
func InDomain(domain, parent string) bool {
	return parent != "" && (domain == parent || strings.HasSuffix(domain, "."+parent))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
