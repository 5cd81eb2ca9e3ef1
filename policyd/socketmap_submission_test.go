package policyd

import (
	"context"
	"testing"
	"time"

	"github.com/mailtower/mailtower/settings"
)

// The tls table gives smtp_tls_policy_maps a domain's --tls policy by the
// next hop Postfix relays to; the senders table gives
// smtpd_sender_login_maps the logins that own an address (issue 16).
func TestSocketmapTLSAndSenders(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.verifyTLS(ctx, "valid.example")
	if err := f.aliasS.Add(ctx, settings.Alias{Address: "team@valid.example", Target: "bob@valid.example, carol@valid.example, x@else.example"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ req, want string }{
		{"tls [mx.valid.example]", "OK verify"},
		{"tls [MX.valid.example]:25", "OK verify"},
		{"tls mx.valid.example", "OK verify"},
		{"tls valid.example", "OK verify"},
		{"tls [10.0.0.1]:2525", "NOTFOUND "}, // catch.example: no policy, the global default
		{"tls catch.example", "NOTFOUND "},
		{"tls [mx.valid.example]:2525", "NOTFOUND "},
		{"senders bob@valid.example", "OK bob@valid.example"},
		{"senders Bob+lists@valid.example", "OK bob@valid.example"},
		{"senders sales@valid.example", "OK carol@valid.example"},
		{"senders team@valid.example", "OK bob@valid.example,carol@valid.example"},
		{"senders nobody@valid.example", "NOTFOUND "},
		{"senders anyone@catch.example", "NOTFOUND "},
		{"senders <>", "NOTFOUND "},
	} {
		if got := f.d.Socketmap.Lookup(ctx, []byte(tc.req)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.req, got, tc.want)
		}
	}
	// A change is live without a restart.
	if err := f.st.UpdateDomain(ctx, "valid.example", func(d *settings.Domain) error {
		d.TLS = settings.TLSEncrypt
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second) // past the generation cache
	if got := f.d.Socketmap.Lookup(ctx, []byte("tls [mx.valid.example]")); got != "OK encrypt" {
		t.Errorf("after change: %q", got)
	}
}

// verifyTLS makes domain require a verified TLS connection (--tls verify).
func (f *fixture) verifyTLS(ctx context.Context, domain string) {
	f.t.Helper()
	if err := f.st.UpdateDomain(ctx, domain, func(d *settings.Domain) error {
		d.TLS = settings.TLSVerify
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
}
