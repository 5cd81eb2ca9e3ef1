package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/web/audit"
)

// TestRelayNets: a domain admin adds and removes its domain's relay
// networks with the checks of `domain set --relay-net`; a network
// broader than /16 is refused to it, and only an admin may force one.
func TestRelayNets(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	boss := p.login("boss@a.test")
	nets := func(dom string) []string {
		t.Helper()
		d, err := p.settings.Domain(ctx, dom)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range d.RelayNets {
			out = append(out, n.String())
		}
		return out
	}
	for _, tc := range []struct {
		path, net string
		force     bool
		want      int
		after     []string
	}{
		{"/domains/a.test/relaynets", "192.0.2.7/24", false, http.StatusSeeOther, []string{"192.0.2.0/24"}},
		{"/domains/a.test/relaynets", "192.0.2.0/24", false, http.StatusSeeOther, []string{"192.0.2.0/24"}}, // again: once
		{"/domains/a.test/relaynets", "2001:db8::1", false, http.StatusSeeOther, []string{"192.0.2.0/24", "2001:db8::1/128"}},
		{"/domains/a.test/relaynets", "not a net", false, http.StatusBadRequest, []string{"192.0.2.0/24", "2001:db8::1/128"}},
		{"/domains/a.test/relaynets", "10.0.0.0/8", false, http.StatusBadRequest, []string{"192.0.2.0/24", "2001:db8::1/128"}},
		{"/domains/a.test/relaynets", "10.0.0.0/8", true, http.StatusBadRequest, []string{"192.0.2.0/24", "2001:db8::1/128"}},
		{"/domains/a.test/relaynets/remove", "2001:db8::1", false, http.StatusSeeOther, []string{"192.0.2.0/24"}},
		{"/domains/a.test/relaynets/remove", "198.51.100.0/24", false, http.StatusNotFound, []string{"192.0.2.0/24"}},
		{"/domains/b.test/relaynets", "203.0.113.0/24", false, http.StatusNotFound, []string{"192.0.2.0/24"}},
	} {
		form := url.Values{"net": {tc.net}}
		if tc.force {
			form.Set("force", "1")
		}
		if code, page, _ := boss.do("POST", tc.path, form); code != tc.want {
			t.Errorf("POST %s %s force=%v: %d, want %d\n%s", tc.path, tc.net, tc.force, code, tc.want, page)
		}
		if got := nets("a.test"); !slices.Equal(got, tc.after) {
			t.Errorf("after %s %s: %v, want %v", tc.path, tc.net, got, tc.after)
		}
	}
	if got := nets("b.test"); len(got) != 0 {
		t.Fatalf("b.test got networks: %v", got)
	}
	_, page, _ := boss.do("GET", "/domains/a.test", nil)
	if !strings.Contains(page, "192.0.2.0/24") || strings.Contains(page, `name="force"`) {
		t.Fatalf("domain page: the network, and no force box for a domain admin:\n%s", page)
	}
	root := p.login("root")
	if _, page, _ := root.do("GET", "/domains/a.test", nil); !strings.Contains(page, `name="force"`) {
		t.Fatal("no force box for the admin")
	}
	if code, _, _ := root.do("POST", "/domains/a.test/relaynets", url.Values{"net": {"10.0.0.0/8"}}); code != http.StatusBadRequest {
		t.Fatalf("admin without force: %d", code)
	}
	if code, _, _ := root.do("POST", "/domains/a.test/relaynets", url.Values{"net": {"10.0.0.0/8"}, "force": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("admin with force: %d", code)
	}
	if got := nets("a.test"); !slices.Equal(got, []string{"10.0.0.0/8", "192.0.2.0/24"}) && !slices.Equal(got, []string{"192.0.2.0/24", "10.0.0.0/8"}) {
		t.Fatalf("after the forced add: %v", got)
	}
	entries, _ := p.audit.List(ctx, audit.Filter{Action: audit.Setting})
	var all []string
	for _, e := range entries {
		all = append(all, e.Detail)
	}
	for _, want := range []string{"add relay network 192.0.2.0/24", "add relay network 10.0.0.0/8 (refused", "remove relay network 2001:db8::1/128"} {
		if !strings.Contains(strings.Join(all, "\n"), want) {
			t.Errorf("audit lacks %q:\n%s", want, strings.Join(all, "\n"))
		}
	}
}
