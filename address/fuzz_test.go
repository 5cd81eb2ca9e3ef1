package address

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"alice@example.com", "<Alice@Example.COM.>", `"alice"@customer.example`, `"a b"@x.test`,
	`a b@x.test`, `"a@b"@x.test`, `"a\"b"@x.test`, `a."b".c@x.test`, "user+tag@x.test",
	"café@bücher.example", "a@xn--bcher-kva.example", "postmaster@[192.0.2.1]",
	"SRS0=HHH=TT=orig.example=alice@forwarder.example", "prvs=1234abcdef=alice@example.com",
	"", "@", `"`, `"\`, "a@b@c", "a@ｅｘａｍｐｌｅ.com", "a@xn--.test",
}

// FuzzParse: Parse never panics; what it accepts writes back (String) to
// an address that parses to the same value; the canonical domain is a
// fixed point of Domain.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		b, err := Parse(a.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %+v whose String %q does not parse: %v", s, a, a.String(), err)
		}
		if b != a {
			t.Fatalf("round trip of %q: %+v then %+v", s, a, b)
		}
		if d, err := Domain(a.Domain); err != nil || d != a.Domain {
			t.Fatalf("Domain(%q) = %q, %v: not a fixed point", a.Domain, d, err)
		}
		_ = a.Unwrap().String()
		_ = MatchSender("@"+a.Domain, s)
		_ = Unicode(a.Domain)
	})
}

// FuzzCanonical: Canonical never panics, is idempotent, and is the same
// for an address written quoted or in Postfix's unquoted internal form.
func FuzzCanonical(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Canonical(s)
		if err != nil {
			return
		}
		c2, err := Canonical(c)
		if err != nil || c2 != c {
			t.Fatalf("Canonical(%q) = %q, then %q, %v: not idempotent", s, c, c2, err)
		}
		a, _ := Parse(s)
		if strings.ContainsAny(a.Local, `"\`) || strings.TrimSpace(a.Local) != a.Local || a.Local == "" {
			// The unquoted internal form of these is ambiguous (quotes,
			// backslashes), trimmed by Parse (outer spaces) or not an
			// address ("@domain").
			return
		}
		internal := a.Local + "@" + a.Domain
		if ci, err := Canonical(internal); err != nil || ci != c {
			t.Fatalf("Canonical(%q) = %q, but its internal form %q gives %q, %v", s, c, internal, ci, err)
		}
		if !MatchSender(c, s) {
			t.Fatalf("MatchSender(%q, %q) = false", c, s)
		}
	})
}
