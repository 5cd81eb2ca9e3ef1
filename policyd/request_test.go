package policyd

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

const goodRequest = "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n" +
	"client_address=192.0.2.1\nclient_name=mx.example\nsender=a@b.example\nrecipient=c@d.example\n" +
	"ccert_subject=\nsize=12345\n\n"

func TestReadRequest(t *testing.T) {
	lim := Limits{MaxBytes: 300, MaxAttributes: 12}
	for _, tc := range []struct {
		name  string
		in    string
		want  error // nil, ErrMalformed, ErrFraming or io.EOF
		check func(Request) bool
		// next is what the following ReadRequest on the same stream must
		// see (the connection survives): "" = not checked.
		next string
	}{
		{"good", goodRequest, nil, func(r Request) bool {
			n, ok := r.Size()
			return r.State() == "RCPT" && r.Recipient() == "c@d.example" && r["ccert_subject"] == "" && ok && n == 12345
		}, ""},
		{"crlf tolerated", "request=smtpd_access_policy\r\nprotocol_state=RCPT\r\n\r\n", nil,
			func(r Request) bool { return r.State() == "RCPT" }, ""},
		{"value with = and spaces", "request=smtpd_access_policy\nccert_subject=CN=a b=c\n\n", nil,
			func(r Request) bool { return r["ccert_subject"] == "CN=a b=c" }, ""},
		{"unknown attribute accepted", "request=smtpd_access_policy\nfuture_attribute=1\n\n", nil,
			func(r Request) bool { return r["future_attribute"] == "1" }, ""},
		{"clean EOF", "", io.EOF, nil, ""},
		{"line without =", "request=smtpd_access_policy\nnonsense\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"empty name", "=x\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"bad name", "Request=x\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"NUL in value", "request=a\x00b\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"repeated attribute", "recipient=a@b\nrecipient=c@d\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"empty request", "\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"too many attributes", strings.Repeat("a=b\n", 20) + "\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"too large, many lines", strings.Repeat("name=0123456789\n", 30) + "\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"too large, one line", "x=" + strings.Repeat("v", 5000) + "\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"too large line ends exactly before the blank", "x=" + strings.Repeat("v", 400) + "\n\n" + goodRequest, ErrMalformed, nil, "RCPT"},
		{"EOF inside request", "request=smtpd_access_policy\nprotocol_state=RCPT\n", ErrFraming, nil, ""},
		{"EOF inside a line", "request=smtpd_acc", ErrFraming, nil, ""},
		{"oversized and never ended", "x=" + strings.Repeat("v", 3<<20), ErrFraming, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.in), 64)
			r, err := ReadRequest(br, lim)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("error %v, want %v", err, tc.want)
			case tc.check != nil && !tc.check(r):
				t.Fatalf("parsed %v", r)
			}
			if tc.next != "" {
				r, err := ReadRequest(br, lim)
				if err != nil || r.State() != tc.next {
					t.Fatalf("the next request on the connection: %v, %v", r, err)
				}
			}
		})
	}
}

func TestWriteReplyNeverBreaksFraming(t *testing.T) {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	if err := WriteReply(w, "450 4.7.1 two\nlines\r"); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "action=450 4.7.1 two lines \n\n" {
		t.Fatalf("reply %q", got)
	}
}

func TestNormalizeSender(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "<>"},
		{"<>", "<>"},
		{"Alice@Example.COM", "alice@example.com"},
		{"alice+news@example.com", "alice@example.com"},
		{"bounce-12345-bob=example.org@lists.example.com", "bounce-#-bob=example.org@lists.example.com"},
		{"bounce-99-bob=example.org@lists.example.com", "bounce-#-bob=example.org@lists.example.com"},
		{"msg-5f3a9c0d2e7b@mailer.example", "msg-#@mailer.example"},
		{"prvs=1234abcdef=alice@example.com", "alice@example.com"},
		{"prvs=alice=1234abcdef@example.com", "alice@example.com"},
		{"msprvs1=17aabbccdd=alice@example.com", "alice@example.com"},
		{"btv1==0123456789a==alice@example.com", "alice@example.com"},
		{"SRS0=HHH=TT=orig.example=alice@forwarder.example", "alice@orig.example"},
		{"SRS0+x1y2=TT=orig.example=alice@forwarder.example", "alice@orig.example"},
		{"SRS1=HHH=fwd1.example==HHH=TT=orig.example=alice@fwd2.example", "alice@orig.example"},
		{"srs0=broken@forwarder.example", "srs0=broken@forwarder.example"},
		{"postmaster", "postmaster"},
		{"café@example.com", "café@example.com"},
	} {
		if got := NormalizeSender(tc.in); got != tc.want {
			t.Errorf("NormalizeSender(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
