package cli

import (
	"strings"
	"testing"
)

// A relay network broader than /16 (IPv4) or /48 (IPv6) lets everyone in
// it send as the domain: refused, naming the value, unless --force.
func TestRelayNetBreadth(t *testing.T) {
	cfg := testConfig(t)
	mustRun(t, cfg, "domain", "add", "a.example", "--relay", "mx.a.example")
	for _, tc := range []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"domain", "set", "a.example", "--relay-net", "0.0.0.0/0"}, "0.0.0.0/0"},
		{[]string{"domain", "set", "a.example", "--relay-net", "192.0.2.0/24", "--relay-net", "10.0.0.0/15"}, "10.0.0.0/15"},
		{[]string{"domain", "set", "a.example", "--relay-net", "::/0"}, "::/0"},
		{[]string{"domain", "set", "a.example", "--relay-net", "::ffff:0.0.0.0/96"}, "0.0.0.0/0"},
		{[]string{"domain", "set", "a.example", "--relay-net", "2001:db8::/47"}, "2001:db8::/47"},
		{[]string{"domain", "add", "b.example", "--relay", "mx.b.example", "--relay-net", "0.0.0.0/0"}, "0.0.0.0/0"},
		{[]string{"domain", "set", "a.example", "--relay-net", "bogus"}, "bogus"},
		{[]string{"domain", "set", "a.example", "--relay-net", "10.1.0.0/16", "--relay-net", "2001:db8::/48"}, ""},
		{[]string{"domain", "set", "a.example", "--relay-net", "10.0.0.0/8", "--force"}, ""},
	} {
		out, err := run(t, cfg, tc.args...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v %s", tc.args, err, out)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error()+out, tc.want)):
			t.Errorf("%v: err %v, want one naming %s", tc.args, err, tc.want)
		case tc.want != "" && tc.want != "bogus" && !strings.Contains(err.Error(), "--force"):
			t.Errorf("%v: %v does not say --force", tc.args, err)
		}
	}
	if out := mustRun(t, cfg, "domain", "show", "a.example"); !strings.Contains(out, "10.0.0.0/8") {
		t.Errorf("--force did not store the network:\n%s", out)
	}
}
