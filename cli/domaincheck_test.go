package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/mxcheck"
)

// stubDNS answers every MX query with mx, or blocks until the context ends.
type stubDNS struct {
	mx   []*net.MX
	hang bool
}

func (s stubDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if s.hang {
		<-ctx.Done()
		return nil, &net.DNSError{Err: ctx.Err().Error(), Name: name, IsTimeout: true}
	}
	return s.mx, nil
}

func (s stubDNS) LookupHost(context.Context, string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

func TestDomainCheckCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mailtower.toml")
	body := "data_dir = \"" + filepath.Join(dir, "data") + "\"\nmx_names = [\"mx1.gw.example\"]\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		dns      stubDNS
		args     []string
		wantCode int // 0 = success
		want     []string
	}{
		{"ok", stubDNS{mx: []*net.MX{{Host: "mx1.gw.example.", Pref: 10}}}, nil, 0,
			[]string{"OK    MX 10 mx1.gw.example is this gateway", "is not a mailtower domain yet", "OK    customer.test: all MX records point at this gateway"}},
		{"fail", stubDNS{mx: []*net.MX{{Host: "mail.customer.test.", Pref: 10}}}, nil, 1,
			[]string{"FAIL  MX 10 mail.customer.test is not this gateway", "customer.test. IN MX 10 mx1.gw.example."}},
		{"json", stubDNS{mx: []*net.MX{{Host: "mx1.gw.example.", Pref: 10}}}, []string{"--json"}, 0,
			[]string{`"status": "OK"`, `"configured": false`}},
		{"dns down", stubDNS{hang: true}, []string{"--timeout", "20ms"}, 1, []string{"no DNS answer within 20ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &globals{configPath: cfg}
			cmd := domainCheckCmd(g, func(string) mxcheck.Resolver { return tc.dns })
			registerGlobals(cmd, g)
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(append([]string{"customer.test"}, tc.args...))
			err := cmd.Execute()
			code := 0
			var ec *exitCodeError
			if errors.As(err, &ec) {
				code = ec.code
			} else if err != nil {
				code = 1
				out.WriteString(err.Error())
			}
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d (%v)", code, tc.wantCode, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "\x1b[") {
				t.Errorf("colour codes written to a non-terminal")
			}
		})
	}
}
