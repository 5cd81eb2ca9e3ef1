package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExposed(t *testing.T) {
	for _, c := range []struct {
		network, address string
		want             bool
	}{
		{"unix", "/run/mailtower/policy.sock", false},
		{"tcp", "127.0.0.1:10040", false},
		{"tcp", "127.0.0.9:10040", false},
		{"tcp", "[::1]:10040", false},
		{"tcp", "[::ffff:127.0.0.1]:10040", false},
		{"tcp", "localhost:10040", false},
		{"tcp", ":10040", true},
		{"tcp", "0.0.0.0:10040", true},
		{"tcp", "[::]:10040", true},
		{"tcp", "192.0.2.10:10040", true},
		{"tcp", "10.0.0.5:8891", true},
		{"tcp", "gw.example.net:8891", true},
	} {
		if got := Exposed(c.network, c.address); got != c.want {
			t.Errorf("Exposed(%s, %s) = %v, want %v", c.network, c.address, got, c.want)
		}
	}
}

// TestExposedListenersRefused: a listener other hosts can reach is a
// configuration error naming the key and the opt-in, unless its section
// sets allow_public.
func TestExposedListenersRefused(t *testing.T) {
	for _, c := range []struct {
		name, toml string
		want       []string // keys named in errors; none = valid
	}{
		{"defaults are loopback", "", nil},
		{"unix sockets", "[milter]\nlisten = \"unix:/run/m.sock\"\n[policyd]\nlisten = \"unix:/run/p.sock\"\nsocketmap = \"unix:/run/s.sock\"\n", nil},
		{"milter on all interfaces", "[milter]\nlisten = \"inet:0.0.0.0:8891\"\n", []string{"milter.listen"}},
		{"milter opted in", "[milter]\nlisten = \"inet:0.0.0.0:8891\"\nallow_public = true\n", nil},
		{"policy and socketmap on a LAN address", "[policyd]\nlisten = \"192.0.2.1:10040\"\nsocketmap = \":10041\"\n",
			[]string{"policyd.listen", "policyd.socketmap"}},
		{"policyd opted in", "[policyd]\nlisten = \"192.0.2.1:10040\"\nsocketmap = \":10041\"\nallow_public = true\n", nil},
		{"metrics on a host name", "[metrics]\nlisten = \"gw.example.net:9891\"\n", []string{"metrics.listen"}},
		{"metrics opted in", "[metrics]\nlisten = \"[::]:9891\"\nallow_public = true\n", nil},
		{"metrics off", "[metrics]\nlisten = \"\"\n", nil},
		{"one opt-in does not cover another section", "[milter]\nlisten = \"inet:[::]:8891\"\n[metrics]\nlisten = \":9891\"\nallow_public = true\n",
			[]string{"milter.listen"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "mailtower.toml")
			if err := os.WriteFile(p, []byte("data_dir = \""+dir+"\"\n"+c.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors naming %v", c.want)
			}
			var n int
			for _, e := range err.(*CheckError).Problems {
				if strings.Contains(e.Error(), "reachable from other hosts") {
					n++
				}
			}
			if n != len(c.want) {
				t.Errorf("%d exposure errors, want %d:\n%v", n, len(c.want), err)
			}
			for _, k := range c.want {
				section := k[:strings.IndexByte(k, '.')]
				if !strings.Contains(err.Error(), k+" ") || !strings.Contains(err.Error(), section+".allow_public = true") {
					t.Errorf("errors do not name %s and its opt-in:\n%v", k, err)
				}
			}
		})
	}
}
