package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebExposure checks the portal's rule: TLS on an address other hosts
// reach, plain HTTP only on loopback or a unix socket, an https base URL.
func TestWebExposure(t *testing.T) {
	const base = "base_url = \"https://mail.example.net/\"\n"
	for _, c := range []struct {
		name, toml, want string // want: text of the error; "" = valid
	}{
		{"off by default", "", ""},
		{"loopback plain HTTP behind a proxy", "[web]\nlisten = \"127.0.0.1:8443\"\n" + base, ""},
		{"unix socket", "[web]\nlisten = \"unix:/run/mailtower/web.sock\"\n" + base, ""},
		{"public without TLS", "[web]\nlisten = \":443\"\n" + base, "without TLS"},
		{"public with TLS", "[web]\nlisten = \":443\"\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n" + base, ""},
		{"half TLS", "[web]\nlisten = \"127.0.0.1:8443\"\ntls_cert = \"/c.pem\"\n" + base, "both tls_cert and tls_key"},
		{"no base URL", "[web]\nlisten = \"127.0.0.1:8443\"\n", "base_url: required"},
		{"http base URL", "[web]\nlisten = \"127.0.0.1:8443\"\nbase_url = \"http://mail.example.net\"\n", "want https://"},
		{"bad sessions", "[web]\nlisten = \"127.0.0.1:8443\"\nsession_idle = \"2h\"\nsession_max = \"1h\"\n" + base, "session_idle"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "mailtower.toml")
			if err := os.WriteFile(p, []byte("data_dir = \""+dir+"\"\n"+c.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("want an error with %q, got %v", c.want, err)
			}
		})
	}
}
