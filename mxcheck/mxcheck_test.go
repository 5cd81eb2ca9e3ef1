package mxcheck

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
)

// fakeDNS answers from maps; a name in fail times out.
type fakeDNS struct {
	mx   map[string][]*net.MX
	host map[string][]string
	fail bool
}

func (f fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if f.fail {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	if mx, ok := f.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f fakeDNS) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := f.host[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func mx(host string, pref uint16) *net.MX { return &net.MX{Host: host, Pref: pref} }

type checkCase struct {
	domain     string
	want       Status
	lines      []string // substrings of the status lines
	wantAdvice bool
}

func (c checkCase) domainCanon() string { return canon(c.domain) }

func TestCheck(t *testing.T) {
	dns := fakeDNS{
		mx: map[string][]*net.MX{
			"good.test":      {mx("MX1.Gw.Example.", 10), mx("mx2.gw.example.", 20)},
			"byaddr.test":    {mx("alias.customer.test.", 10)},
			"backup.test":    {mx("mx1.gw.example.", 10), mx("mail.backup.test.", 20)},
			"bypass.test":    {mx("mail.bypass.test.", 10), mx("mx1.gw.example.", 20)},
			"elsewhere.test": {mx("mx.other-provider.test.", 10)},
			"nullmx.test":    {mx(".", 0)},
		},
		host: map[string][]string{
			"mx1.gw.example":         {"192.0.2.25"},
			"alias.customer.test":    {"192.0.2.25"},
			"mail.bypass.test":       {"198.51.100.7"},
			"mx.other-provider.test": {"203.0.113.9"},
		},
	}
	gw := []string{"mx1.gw.example", "MX2.gw.example."}
	for _, tc := range []checkCase{
		{"good.test", OK, []string{"MX 10 mx1.gw.example is this gateway", "MX 20 mx2.gw.example is this gateway"}, false},
		{"Good.Test.", OK, nil, false},
		{"byaddr.test", OK, []string{"is this gateway (by address 192.0.2.25)"}, false},
		{"backup.test", Warn, []string{"MX 10 mx1.gw.example is this gateway", "MX 20 mail.backup.test is not this gateway"}, true},
		{"bypass.test", Fail, []string{"MX 20 mx1.gw.example is this gateway", "MX 10 mail.bypass.test is not this gateway and is most preferred"}, true},
		{"elsewhere.test", Fail, []string{"mx.other-provider.test is not this gateway"}, true},
		{"nullmx.test", Fail, []string{"null MX"}, true},
		{"nomx.test", Fail, []string{"has no MX records"}, true},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			res, err := Check(context.Background(), dns, tc.domain, gw)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Errorf("status %s, want %s: %+v", res.Status, tc.want, res.Lines)
			}
			var all []string
			for _, l := range res.Lines {
				all = append(all, l.Text)
			}
			text := strings.Join(all, "\n")
			for _, want := range tc.lines {
				if !strings.Contains(text, want) {
					t.Errorf("lines lack %q:\n%s", want, text)
				}
			}
			if (len(res.Advice) > 0) != tc.wantAdvice {
				t.Errorf("advice %q, want some: %v", res.Advice, tc.wantAdvice)
			}
			if want := []string{tc.domainCanon() + ". IN MX 10 mx1.gw.example.", tc.domainCanon() + ". IN MX 20 mx2.gw.example."}; tc.wantAdvice && !slices.Equal(res.Publish, want) {
				t.Errorf("records to publish %q, want %q", res.Publish, want)
			}
		})
	}
}

func TestCheckDNSDown(t *testing.T) {
	_, err := Check(context.Background(), fakeDNS{fail: true}, "good.test", []string{"mx1.gw.example"})
	var de *DNSError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "i/o timeout") {
		t.Fatalf("want a DNSError naming the cause, got %v", err)
	}
}

func TestCheckNeedsGatewayNames(t *testing.T) {
	_, err := Check(context.Background(), fakeDNS{}, "good.test", []string{" ", ""})
	if err == nil || !strings.Contains(err.Error(), "mx_names") {
		t.Fatalf("want an error naming mx_names, got %v", err)
	}
}
