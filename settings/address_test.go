package settings

import "testing"

// Settings keys are address.Canonical forms: the milter's "alice"@x and
// the policy daemon's alice@x find the same user.
func TestNormalizeAddressCanonical(t *testing.T) {
	for _, tc := range []struct{ in, addr, domain string }{
		{"Alice@Customer.Example", "alice@customer.example", "customer.example"},
		{`"alice"@customer.example`, "alice@customer.example", "customer.example"},
		{`<"Alice.B"@customer.example.>`, "alice.b@customer.example", "customer.example"},
		{`"a b"@customer.example`, `"a b"@customer.example`, "customer.example"},
		{"a@Bücher.Example", "a@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{`""@customer.example`, `""@customer.example`, "customer.example"}, // Postfix relays it: the domain's policy applies
	} {
		a, d, err := NormalizeAddress(tc.in)
		if err != nil || a != tc.addr || d != tc.domain {
			t.Errorf("NormalizeAddress(%q) = %q, %q, %v; want %q, %q", tc.in, a, d, err, tc.addr, tc.domain)
		}
	}
	for _, in := range []string{"postmaster", "@customer.example", "a@localhost", "a@[192.0.2.1]", `"alice@x.test`, "a@b_c.test"} {
		if a, _, err := NormalizeAddress(in); err == nil {
			t.Errorf("NormalizeAddress(%q) = %q, want an error", in, a)
		}
	}
	if d, err := NormalizeDomain("BÜCHER.example."); err != nil || d != "xn--bcher-kva.example" {
		t.Errorf("NormalizeDomain = %q, %v", d, err)
	}
}
