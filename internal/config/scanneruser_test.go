package config

import (
	"strings"
	"testing"
)

func TestScannerUser(t *testing.T) {
	tests := []struct {
		name, toml string
		wantErr    string // substring of the problem; empty = valid
	}{
		{"spamd user", "[scanners.spamd]\naddress = \"127.0.0.1:783\"\nuser = \"mailtower\"\n", ""},
		{"spamd user with a space", "[scanners.spamd]\naddress = \"127.0.0.1:783\"\nuser = \"mail tower\"\n", `scanners.spamd.user "mail tower"`},
		{"spamd user with a newline", "[scanners.spamd]\naddress = \"127.0.0.1:783\"\nuser = \"a\\nUser: root\"\n", "scanners.spamd.user"},
		{"clamd takes no user", "[scanners.clamd]\naddress = \"tcp:127.0.0.1:3310\"\nuser = \"x\"\n", "scanners.clamd.user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(write(t, tt.toml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Scanners.Spamd.User != "mailtower" {
					t.Errorf("user = %q", c.Scanners.Spamd.User)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want a problem naming %q", err, tt.wantErr)
			}
		})
	}
}
