package heuristics

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailtower/mailtower/scan"
)

// fakeDNS answers TXT look-ups from a map; names in fail time out.
type fakeDNS struct {
	txt  map[string][]string
	fail bool
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if f.fail {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
	}
	if v, ok := f.txt[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}
func (f *fakeDNS) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, errors.New("no mx")
}
func (f *fakeDNS) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return nil, errors.New("no ip")
}
func (f *fakeDNS) LookupAddr(context.Context, string) ([]string, error) {
	return nil, errors.New("no ptr")
}

func signed(t *testing.T, key ed25519.PrivateKey, raw string) string {
	t.Helper()
	var b bytes.Buffer
	opts := &dkim.SignOptions{Domain: "a.example", Selector: "s1", Signer: key}
	if err := dkim.Sign(&b, strings.NewReader(raw), opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAuth(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(good, "\n", "\r\n")
	sig := signed(t, priv, crlf)
	zone := map[string][]string{
		"s1._domainkey.a.example": {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)},
		"_dmarc.a.example":        {"v=DMARC1; p=reject"},
		"a.example":               {"v=spf1 ip4:192.0.2.1 -all"},
	}
	fromA := scan.Envelope{ClientAddr: "192.0.2.1", Sender: "alice@a.example", Helo: "mx.a.example"}
	fromElsewhere := scan.Envelope{ClientAddr: "198.51.100.7", Sender: "alice@a.example", Helo: "evil.example"}
	cases := []struct {
		name string
		dns  *fakeDNS
		env  scan.Envelope
		raw  string
		want []string
	}{
		{"valid signature, spf pass", &fakeDNS{txt: zone}, fromA, sig, []string{"DKIM_VALID", "SPF_PASS"}},
		{"altered body fails dkim; spf fail; dmarc reject", &fakeDNS{txt: zone}, fromElsewhere,
			strings.Replace(sig, "Shall we?", "Send money", 1), []string{"DKIM_INVALID", "SPF_FAIL", "DMARC_FAIL_REJECT"}},
		{"unsigned but spf-aligned passes dmarc", &fakeDNS{txt: zone}, fromA, crlf, []string{"SPF_PASS"}},
		{"offline scan: no spf, so no dmarc verdict", &fakeDNS{txt: zone}, scan.Envelope{}, crlf, nil},
		{"dns down: nothing scores, no error", &fakeDNS{fail: true}, fromElsewhere, sig, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(Options{Auth: c.dns, DNSTimeout: 0})
			var got []string
			for _, r := range rulesFired(t, s, c.env, c.raw) {
				if strings.HasPrefix(r, "SPF_") || strings.HasPrefix(r, "DKIM_") || strings.HasPrefix(r, "DMARC_") {
					got = append(got, r)
				}
			}
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fired %v, want %v", got, want)
			}
		})
	}
}
