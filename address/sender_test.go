package address

import "testing"

func TestUnwrap(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"prvs=1234abcdef=alice@example.com", "alice@example.com"},
		{"PRVS=1234ABCDEF=Alice@example.com", "Alice@example.com"},
		{"prvs=alice=1234abcdef@example.com", "alice@example.com"},
		{"msprvs1=17aabbccdd=alice@example.com", "alice@example.com"},
		{"btv1==0123456789a==alice@example.com", "alice@example.com"},
		{"prvs=1234abcdef=@example.com", "prvs=1234abcdef=@example.com"},
		{"SRS0=HHH=TT=orig.example=alice@forwarder.example", "alice@orig.example"},
		{"SRS0+x1y2=TT=Orig.Example=alice@forwarder.example", "alice@orig.example"},
		{"SRS1=HHH=fwd1.example==HHH=TT=orig.example=alice@fwd2.example", "alice@orig.example"},
		{"srs0=broken@forwarder.example", "srs0=broken@forwarder.example"},
		{"SRS0=HHH=TT=bad domain=alice@forwarder.example", `"SRS0=HHH=TT=bad domain=alice"@forwarder.example`},
	} {
		a, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if got := a.Unwrap().String(); got != tc.want {
			t.Errorf("Unwrap(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMatchSender(t *testing.T) {
	for _, tc := range []struct {
		value, sender string
		want          bool
	}{
		{"a@b.test", "a@b.test", true},
		{"a@b.test", "A@B.TEST", true},
		{"a@b.test", `"a"@b.test`, true},
		{"a@b.test", "<a+tag@b.test>", true},
		{"a@b.test", "prvs=1234abcdef=a@b.test", true},
		{"a@b.test", "SRS0=HHH=TT=b.test=a@forwarder.example", true},
		{"a@b.test", "ab@b.test", false},
		{"a@b.test", "a@sub.b.test", false},
		{"a+tag@b.test", "a@b.test", false},
		{"@example.com", "x@example.com", true},
		{"@example.com", "x@mail.example.com", true},
		{"@example.com", "x@badexample.com", false},
		{"@example.com", "SRS0=HHH=TT=example.com=x@fwd.test", true},
		{"@xn--bcher-kva.example", "x@bücher.example", true},
		{"a@b.test", "", false},
		{"@b.test", "", false},
		{"@b.test", "postmaster", false},
	} {
		if got := MatchSender(tc.value, tc.sender); got != tc.want {
			t.Errorf("MatchSender(%q, %q) = %v, want %v", tc.value, tc.sender, got, tc.want)
		}
	}
}
