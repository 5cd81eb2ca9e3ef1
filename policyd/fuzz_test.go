package policyd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/settings"
)

// FuzzReadRequest feeds arbitrary bytes to the request parser and every
// request it accepts to the decisions. Properties: no panic; accepted
// requests hold only valid names and values that cannot break the reply
// framing; limits hold; re-encoding parses to the same request; and OK
// (permission to relay) is only ever answered to a relay network client
// with a sender of that domain, never the null sender, for a recipient
// outside the served domains (never an open relay).
func FuzzReadRequest(f *testing.F) {
	f.Add([]byte(goodRequest))
	f.Add([]byte(goodRequest + goodRequest))
	f.Add([]byte("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.9\nsender=\nrecipient=x@gmail.example\n\n"))
	f.Add([]byte("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=::ffff:192.0.2.9\nsender=a@VALID.example.\nrecipient=x@y\n\n"))
	f.Add([]byte("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=203.0.113.1\nsender=a@b\nrecipient=q@catch.example\nsize=99\n\n"))
	f.Add([]byte("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.9\nsender=a@valid.example\nrecipient=q@Catch.Example\n\n"))
	f.Add([]byte("a=b\r\n\r\nnonsense\n\n=\n\n"))
	fx := newFixture(f)
	lim := Limits{MaxBytes: 2048, MaxAttributes: 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		for range 8 {
			r, err := ReadRequest(br, lim)
			if err != nil {
				if errors.Is(err, ErrMalformed) {
					continue
				}
				return
			}
			checkRequest(t, r, lim)
			dec, err := fx.d.Decider.Decide(context.Background(), r)
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("decide %v: %v", r, err)
			}
			if dec.Action == ActionOK {
				checkOutbound(t, r)
			}
		}
	})
}

func checkRequest(t *testing.T, r Request, lim Limits) {
	if len(r) == 0 || len(r) > lim.MaxAttributes {
		t.Fatalf("accepted %d attributes", len(r))
	}
	var enc strings.Builder
	for k, v := range r {
		if k == "" || strings.ContainsAny(k, "=\n\x00") || strings.ContainsAny(v, "\n\x00") {
			t.Fatalf("accepted attribute %q=%q", k, v)
		}
		enc.WriteString(k + "=" + v + "\n")
	}
	enc.WriteString("\n")
	again, err := ReadRequest(bufio.NewReader(strings.NewReader(enc.String())), Limits{MaxBytes: 1 << 20, MaxAttributes: 1000})
	if err != nil || len(again) != len(r) {
		t.Fatalf("re-encoded request %q does not parse back: %v", enc.String(), err)
	}
	for k, v := range r {
		if again[k] != v && !strings.HasSuffix(v, "\r") {
			t.Fatalf("attribute %s: %q became %q", k, v, again[k])
		}
	}
}

// checkOutbound fails unless r comes from the fixture's relay networks of
// valid.example with a sender of that domain (never the null sender) to a
// recipient outside the fixture's domains.
func checkOutbound(t *testing.T, r Request) {
	a, ok := r.Client()
	if !ok || !(netip.MustParsePrefix("192.0.2.0/24").Contains(a) || netip.MustParsePrefix("2001:db8:1::/48").Contains(a)) {
		t.Fatalf("OK for a client outside the relay networks: %v", r)
	}
	if s := r.Sender(); !settings.SenderInDomain(s, "valid.example") {
		t.Fatalf("OK for a foreign or null sender: %v", r)
	}
	if _, d, err := settings.NormalizeAddress(r.Recipient()); err != nil || d == "valid.example" || d == "catch.example" {
		t.Fatalf("OK for a recipient that is not outside the served domains: %v", r)
	}
}

// FuzzSocketmap feeds arbitrary bytes to the socketmap reader and every
// request it accepts to the look-ups. Properties: no panic; accepted
// netstrings re-encode to the bytes consumed; every reply is one of the
// four socketmap_table(5) forms and fits Postfix's reply limit.
func FuzzSocketmap(f *testing.F) {
	for _, s := range []string{"21:domains valid.example,", "23:transport valid.example,",
		"31:recipients nobody@valid.example,", "25:recipients @catch.example,", "0:,", "05:hello,", "3:a b,4:x y,",
		"9:virtual x,"} {
		f.Add([]byte(s))
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReader(bytes.NewReader(in))
		consumed := 0
		for {
			data, err := ReadNetstring(br, maxSocketmapRequest)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrNetstring) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var enc bytes.Buffer
			w := bufio.NewWriter(&enc)
			WriteNetstring(w, string(data))
			if !bytes.Equal(enc.Bytes(), in[consumed:consumed+enc.Len()]) {
				t.Fatalf("netstring %q does not re-encode to its input", data)
			}
			consumed += enc.Len()
			reply := fx.d.Socketmap.Lookup(context.Background(), data)
			if len(reply) > 100000 || !(strings.HasPrefix(reply, "OK ") || reply == "NOTFOUND " ||
				strings.HasPrefix(reply, "TEMP ") || strings.HasPrefix(reply, "PERM ")) {
				t.Fatalf("reply %q to %q", reply, data)
			}
		}
	})
}
