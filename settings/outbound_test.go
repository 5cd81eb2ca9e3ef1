package settings

import (
	"strings"
	"testing"
)

func TestIsOutbound(t *testing.T) {
	a := []string{"a.example"}
	shared := []string{"b.example", "a.example"} // one server for two domains
	for _, tc := range []struct {
		name         string
		relayDomains []string
		sender       string
		served       bool
		want         bool
	}{
		{"own sender to the outside", a, "u@a.example", false, true},
		{"own subdomain sender", a, "u@eu.a.example", false, true},
		{"sender case", a, "U@A.Example.", false, true},
		{"shared network, second domain", shared, "u@a.example", false, true},
		{"own sender to a served domain is inbound", a, "u@a.example", true, false},
		{"null sender to the outside", a, "", false, false},
		{"null sender in brackets", a, "<>", false, false},
		{"null sender to a served domain", a, "", true, false},
		{"foreign sender", a, "eve@other.example", false, false},
		{"lookalike domain", a, "eve@xa.example", false, false},
		{"no at sign", a, "a.example", false, false},
		{"client in no relay network", nil, "u@a.example", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsOutbound(tc.relayDomains, tc.sender, tc.served); got != tc.want {
				t.Errorf("IsOutbound(%q, %q, served=%v) = %v, want %v", tc.relayDomains, tc.sender, tc.served, got, tc.want)
			}
		})
	}
}

func TestParseRelayNet(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" = parse error
		broad    bool   // CheckRelayNetBreadth refuses it
	}{
		{"192.0.2.0/24", "192.0.2.0/24", false},
		{"192.0.2.9/24", "192.0.2.0/24", false},
		{"192.0.2.9", "192.0.2.9/32", false},
		{"172.16.0.0/16", "172.16.0.0/16", false},
		{"172.16.0.0/15", "172.16.0.0/15", true},
		{"10.0.0.0/8", "10.0.0.0/8", true},
		{"0.0.0.0/0", "0.0.0.0/0", true},
		{"2001:db8::/48", "2001:db8::/48", false},
		{"2001:db8::/47", "2001:db8::/47", true},
		{"::/0", "::/0", true},
		{"2001:db8::1", "2001:db8::1/128", false},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24", false},
		{"::ffff:0.0.0.0/96", "0.0.0.0/0", true},
		{"::ffff:0:0/95", "", false},
		{"fe80::1%eth0", "", false},
		{"example.com", "", false},
		{"", "", false},
	} {
		p, err := ParseRelayNet(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseRelayNet(%q) = %s, want an error", tc.in, p)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("ParseRelayNet(%q) = %s %v, want %s", tc.in, p, err, tc.want)
			continue
		}
		err = CheckRelayNetBreadth(p)
		if (err != nil) != tc.broad {
			t.Errorf("CheckRelayNetBreadth(%s) = %v, want refused=%v", p, err, tc.broad)
		}
		if err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckRelayNetBreadth(%s): %v does not name the network", p, err)
		}
	}
}
