package address

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in           string
		local, domai string
		str          string
	}{
		{"alice@example.com", "alice", "example.com", "alice@example.com"},
		{"<Alice@Example.COM.>", "Alice", "example.com", "Alice@example.com"},
		{` "alice"@customer.example `, "alice", "customer.example", "alice@customer.example"},
		{`"a.b"@x.test`, "a.b", "x.test", "a.b@x.test"},
		{`"a b"@x.test`, "a b", "x.test", `"a b"@x.test`},
		{`a b@x.test`, "a b", "x.test", `"a b"@x.test`}, // Postfix's internal form
		{`"a@b"@x.test`, "a@b", "x.test", `"a@b"@x.test`},
		{`a@b@x.test`, "a@b", "x.test", `"a@b"@x.test`},
		{`"a\"b"@x.test`, `a"b`, "x.test", `"a\"b"@x.test`},
		{`"a\\b"@x.test`, `a\b`, "x.test", `"a\\b"@x.test`},
		{`"a..b"@x.test`, "a..b", "x.test", `"a..b"@x.test`},
		{`".a"@x.test`, ".a", "x.test", `".a"@x.test`},
		{`a."b".c@x.test`, "a.b.c", "x.test", "a.b.c@x.test"},
		{"user+tag@x.test", "user+tag", "x.test", "user+tag@x.test"},
		{"café@bücher.example", "café", "xn--bcher-kva.example", "café@xn--bcher-kva.example"},
		{"a@XN--BCHER-KVA.example", "a", "xn--bcher-kva.example", "a@xn--bcher-kva.example"},
		{"a@BÜCHER.example", "a", "xn--bcher-kva.example", "a@xn--bcher-kva.example"},
		{"postmaster@[192.0.2.1]", "postmaster", "[192.0.2.1]", "postmaster@[192.0.2.1]"},
		{"a@[IPv6:2001:DB8::1]", "a", "[ipv6:2001:db8::1]", "a@[ipv6:2001:db8::1]"},
		{"a@under_score.test", "a", "under_score.test", "a@under_score.test"},
		{`""@x.test`, "", "x.test", `""@x.test`},
	} {
		a, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if a.Local != tc.local || a.Domain != tc.domai || a.String() != tc.str {
			t.Errorf("Parse(%q) = %q @ %q (%s), want %q @ %q (%s)", tc.in, a.Local, a.Domain, a, tc.local, tc.domai, tc.str)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"", "<>", "postmaster", "a@", "@x.test", "<@x.test>", `"alice@x.test`, `"a\`,
		"a@b..test", "a@b c.test", "a\r\n@x.test", "a@x.test\x00", "\xff@x.test", `a@"x".test`,
		"a@[]", "a@[1.2.3.4\\]", "a@xn--a\xff.test",
	} {
		if a, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, a)
		}
	}
}

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Alice@Customer.Example", "alice@customer.example"},
		{`"alice"@customer.example`, "alice@customer.example"},
		{`"Alice"@CUSTOMER.example.`, "alice@customer.example"},
		{`"A B"@x.test`, `"a b"@x.test`},
		{`a b@x.test`, `"a b"@x.test`},
		{"<ÉMILE@Bücher.Example>", "émile@xn--bcher-kva.example"},
	} {
		got, err := Canonical(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWithoutExtension(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"user+tag@x.test", "user@x.test"},
		{"user+a+b@x.test", "user@x.test"},
		{"+tag@x.test", "+tag@x.test"},
		{"user@x.test", "user@x.test"},
		{`"us er+x"@x.test`, `"us er"@x.test`},
	} {
		a, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.WithoutExtension().String(); got != tc.want {
			t.Errorf("%q without extension = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Bob@Q.test", "bob@q.test", true},
		{`"bob"@q.test`, "<BOB@q.test.>", true},
		{"bob@q.test", "bob+x@q.test", false},
		{"", "", true},
		{"", "bob@q.test", false},
		{"postmaster", "POSTMASTER", true},
	} {
		if got := Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestSplitAndDomainOf(t *testing.T) {
	if l, d, ok := Split(`"Alice"@X.test`); !ok || l != "alice" || d != "x.test" {
		t.Errorf("Split = %q %q %v", l, d, ok)
	}
	if _, _, ok := Split("nodomain"); ok {
		t.Error("Split(nodomain) ok")
	}
	if d := DomainOf("a@Mail.Example.COM"); d != "mail.example.com" {
		t.Errorf("DomainOf = %q", d)
	}
}

func TestInDomain(t *testing.T) {
	for _, tc := range []struct {
		domain, parent string
		want           bool
	}{
		{"example.com", "example.com", true},
		{"mail.example.com", "example.com", true},
		{"a.b.example.com", "example.com", true},
		{"badexample.com", "example.com", false},
		{"example.com", "mail.example.com", false},
		{"", "", false},
		{"example.com", "", false},
	} {
		if got := InDomain(tc.domain, tc.parent); got != tc.want {
			t.Errorf("InDomain(%q, %q) = %v", tc.domain, tc.parent, got)
		}
	}
}

func TestUnicode(t *testing.T) {
	if got := Unicode("xn--bcher-kva.example"); got != "bücher.example" {
		t.Errorf("Unicode = %q", got)
	}
	if got := Unicode("example.com"); got != "example.com" {
		t.Errorf("Unicode = %q", got)
	}
}
