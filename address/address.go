// Package address is the one place where mailtower parses, canonicalises
// and compares mail addresses. Milter actions use an address exactly as
// Postfix gave it; policy (settings, rules, quarantine index, caches)
// compares the Canonical form defined here, so that the milter, the policy
// daemon and the socketmap agree on who a recipient is.
package address

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Delimiter is the recipient delimiter mailtower assumes (Postfix's
// recipient_delimiter): user+ext@domain is user@domain's mailbox.
const Delimiter = "+"

// Address is a parsed address. Local is the local part's value: quotes
// and quoted-pairs removed ("a b"@x has Local `a b`), letter case as given.
// Domain is canonical: lower case, no trailing dot, IDN labels in ASCII
// (A-label, "xn--") form; a domain literal ("[192.0.2.1]") is kept.
type Address struct {
	Local  string
	Domain string
}

// SyntaxError is the error of Parse: the input and what is wrong with it.
type SyntaxError struct {
	Input  string
	Reason string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("address %q: %s", e.Input, e.Reason) }

// Parse reads an address as the milter (RFC 5321 form: `"alice"@x`) or the
// policy daemon (Postfix's internal, unquoted form: `a b@x`) sees it, with
// optional surrounding spaces and angle brackets. The domain follows the
// last '@' outside quotes. The null sender and an address without a domain
// are errors.
func Parse(s string) (Address, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "<") && strings.HasSuffix(in, ">") {
		in = in[1 : len(in)-1]
	}
	if !utf8.ValidString(in) {
		return Address{}, &SyntaxError{s, "not UTF-8"}
	}
	at := lastAt(in)
	if at < 0 {
		return Address{}, &SyntaxError{s, "want local@domain"}
	}
	if at == 0 {
		// A bare "@domain" is a domain, not an address; a quoted empty
		// local part (""@domain) is an address Postfix relays.
		return Address{}, &SyntaxError{s, "empty local part"}
	}
	local, err := unquote(in[:at])
	if err != nil {
		return Address{}, &SyntaxError{s, err.Error()}
	}
	domain, err := Domain(in[at+1:])
	if err != nil {
		return Address{}, &SyntaxError{s, err.Error()}
	}
	return Address{Local: local, Domain: domain}, nil
}

// Canonical returns the form policy compares: Parse, then the local part
// lower-cased (every mail server in practice treats it so) and written as
// Postfix writes it (quoted only when it is not a dot-atom), "@", and the
// canonical domain. Canonical(Canonical(s)) == Canonical(s).
func Canonical(s string) (string, error) {
	a, err := Parse(s)
	if err != nil {
		return "", err
	}
	return a.Canonical(), nil
}

// Canonical is the address in canonical form (see the function Canonical).
func (a Address) Canonical() string {
	return Address{Local: strings.ToLower(a.Local), Domain: a.Domain}.String()
}

// String writes the address in RFC 5321 form: the local part quoted only
// when it needs quotes (as Postfix's trivial-rewrite does), "@", the domain.
func (a Address) String() string {
	return QuoteLocal(a.Local) + "@" + a.Domain
}

// WithoutExtension returns the address without its "+ext" (Delimiter):
// user+ext@x is user@x. An address without an extension, or whose local
// part starts with the delimiter, is returned unchanged.
func (a Address) WithoutExtension() Address {
	if i := strings.Index(a.Local, Delimiter); i > 0 {
		a.Local = a.Local[:i]
	}
	return a
}

// Equal reports whether a and b are the same address in canonical form;
// text that is not an address is compared case-insensitively.
func Equal(a, b string) bool {
	ca, errA := Canonical(a)
	cb, errB := Canonical(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return ca == cb
}

// Split returns the canonical local part and domain of s; ok is false when
// s is not an address.
func Split(s string) (local, domain string, ok bool) {
	a, err := Parse(s)
	if err != nil {
		return "", "", false
	}
	return QuoteLocal(strings.ToLower(a.Local)), a.Domain, true
}

// DomainOf returns the canonical domain of an address, "" when s is not an
// address.
func DomainOf(s string) string {
	_, d, _ := Split(s)
	return d
}

// lastAt returns the index of the last '@' outside a quoted string, -1 if none.
func lastAt(s string) int {
	at, quoted := -1, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '@':
			at = i
		}
	}
	return at
}

// unquote returns the value of a local part: quoted strings lose their
// quotes and backslashes (`"a\"b".c` is `a"b.c`); unquoted text, including
// Postfix's internal form with specials, is kept as it is.
func unquote(s string) (string, error) {
	if strings.IndexByte(s, '"') < 0 { // the common case: nothing to remove
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f {
				return "", errors.New("control character in local part")
			}
		}
		return s, nil
	}
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return "", errors.New("control character in local part")
		case c == '"':
			quoted = !quoted
		case quoted && c == '\\':
			if i+1 == len(s) {
				return "", errors.New("backslash at end of local part")
			}
			i++
			if s[i] < 0x20 || s[i] == 0x7f {
				return "", errors.New("control character in local part")
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "", errors.New("unterminated quoted string")
	}
	return b.String(), nil
}

// QuoteLocal writes a local part's value as RFC 5321 requires: as it is
// when it is a dot-atom (dot-string), else as a quoted string with '"' and
// '\' escaped.
func QuoteLocal(v string) string {
	if isDotAtom(v) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// isDotAtom reports whether v is atext runs separated by single dots
// (RFC 5322 dot-atom-text; RFC 6531 adds UTF-8 to atext).
func isDotAtom(v string) bool {
	if v == "" || v[0] == '.' || v[len(v)-1] == '.' || strings.Contains(v, "..") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '.' && !isAtext(c) {
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
