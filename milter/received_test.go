package milter

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"
	"github.com/d--j/go-milter/mailfilter/testtrx"
)

func TestTraceField(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		trx  *testtrx.Trx
		want string
	}{
		{"one recipient, resolved client",
			newTrx("Subject: x", "b", "a@x.test").SetMTA(mailfilter.MTA{FQDN: "gw.test"}),
			"from client.example (client.example [192.0.2.1])\r\n\tby gw.test (mailtower) with ESMTP id 4ABCDEF\r\n\tfor <a@x.test>; Sat, 5 Dec 2026 09:00:00 +0000 (UTC)"},
		{"two recipients, unknown client, TLS and AUTH, hostile HELO",
			newTrx("Subject: x", "b", "a@x.test", "b@x.test").
				SetConnect(mailfilter.Connect{Family: "tcp6", Addr: "2001:db8::1", Host: "[2001:db8::1]"}).
				SetHelo(mailfilter.Helo{Name: "evil (x)\r\nX-Mailtower-Verdict: clean", TlsVersion: "TLSv1.3"}).
				SetMailFrom(addr.NewMailFrom("s@example.org", "", "smtp", "alice", "PLAIN")),
			"from evil__x___X-Mailtower-Verdict:_clean (unknown [IPv6:2001:db8::1])\r\n\tby localhost (mailtower) with ESMTPSA id 4ABCDEF; Sat, 5 Dec 2026 09:00:00 +0000 (UTC)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := traceField(tc.trx, now)
			if f.Name != "Received" || f.Value != tc.want {
				t.Fatalf("got  %q\nwant %q", f.Value, tc.want)
			}
		})
	}
}

func TestWithTraceAndDSN(t *testing.T) {
	trx := newTrx("Subject: x", "b", "A@x.test", "b@x.test").
		SetMailFrom(addr.NewMailFrom("s@example.org", "RET=HDRS ENVID=e1 SIZE=9", "smtp", "", ""))
	trx.RcptTos()[0].Args = "NOTIFY=NEVER ORCPT=rfc822;A@x.test"
	env := dsnEnvelope(trx, "s@example.org", []string{"a@x.test", "b@x.test"})
	if env.RET != "HDRS" || env.EnvID != "e1" || env.To[0].Notify != "NEVER" || env.To[0].ORcpt != "rfc822;A@x.test" ||
		env.To[1].Notify != "" || env.To[1].ORcpt != "" || env.To[0].Addr != "a@x.test" {
		t.Fatalf("envelope %+v", env)
	}
	sp, err := spool(strings.NewReader("Subject: x\r\n\r\nb"), 1<<10, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(withTrace(traceField(trx, time.Unix(0, 0).UTC()), sp))
	if !strings.HasPrefix(string(b), "Received: from client.example") || !strings.HasSuffix(string(b), "\r\nSubject: x\r\n\r\nb") {
		t.Fatalf("%q", b)
	}
}
