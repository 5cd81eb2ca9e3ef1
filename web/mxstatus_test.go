package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeResolver answers MX look-ups from a table and counts them.
type fakeResolver struct {
	mu      sync.Mutex
	mx      map[string][]*net.MX
	lookups int
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{mx: map[string][]*net.MX{
		"a.test": {{Host: "mx.gw.test.", Pref: 10}},
		"b.test": {{Host: "mx.elsewhere.example.", Pref: 10}},
	}}
}

func (f *fakeResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if mx, ok := f.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f *fakeResolver) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

// TestMXCheck: the check runs only from the button's POST, is shown
// green or red on the Domains page and the domain's page, and neither
// page views nor repeated posts of a session turn into DNS look-ups.
func TestMXCheck(t *testing.T) {
	p := newPortal(t)
	boss := p.login("boss@a.test")
	for i := 0; i < 20; i++ {
		boss.do("GET", "/domains", nil)
		boss.do("GET", "/domains/a.test", nil)
	}
	if n := p.dns.count(); n != 0 {
		t.Fatalf("page views made %d DNS look-ups", n)
	}
	if _, page, _ := boss.do("GET", "/domains/a.test", nil); !strings.Contains(page, `class="status st-none" id="mx-status">Not checked`) {
		t.Fatalf("before a check:\n%s", page)
	}
	code, _, h := boss.do("POST", "/domains/a.test/check", url.Values{})
	if code != http.StatusSeeOther || h.Get("Location") != "/domains/a.test?done=checked#mx" {
		t.Fatalf("check: %d %v", code, h.Get("Location"))
	}
	if _, page, _ := boss.do("GET", "/domains/a.test", nil); !strings.Contains(page, `class="status st-ok" id="mx-status">MX records point here`) ||
		!strings.Contains(page, "MX 10 mx.gw.test is this gateway") {
		t.Fatalf("after the check:\n%s", page)
	}
	n := p.dns.count()
	// The same session again at once: refused, no look-up.
	if code, _, _ := boss.do("POST", "/domains/a.test/check", url.Values{"back": {"list"}}); code != http.StatusTooManyRequests {
		t.Fatalf("second check at once: %d", code)
	}
	// Another session within mxFresh: the cached result, no look-up.
	root := p.login("root")
	if code, _, h := root.do("POST", "/domains/a.test/check", url.Values{"back": {"list"}}); code != http.StatusSeeOther || h.Get("Location") != "/domains?done=checked" {
		t.Fatalf("root's check: %d %v", code, h.Get("Location"))
	}
	if p.dns.count() != n {
		t.Fatalf("look-ups went from %d to %d", n, p.dns.count())
	}
	// Later, b.test (MX elsewhere) is red on root's Domains page.
	p.skew += time.Minute
	if code, _, _ := root.do("POST", "/domains/b.test/check", url.Values{"back": {"list"}}); code != http.StatusSeeOther {
		t.Fatalf("check b.test: %d", code)
	}
	_, page, _ := root.do("GET", "/domains", nil)
	if !strings.Contains(page, `class="status st-ok" id="mx-a.test"`) || !strings.Contains(page, `class="status st-fail" id="mx-b.test"`) {
		t.Fatalf("domains page:\n%s", page)
	}
	if p.dns.count() == n {
		t.Fatal("no look-up for b.test")
	}
	// Another domain's admin, and a user: 404, no look-up.
	n = p.dns.count()
	p.skew += time.Minute
	for _, b := range []*browser{boss, p.login("bob@a.test")} {
		if code, _, _ := b.do("POST", "/domains/b.test/check", url.Values{}); code != http.StatusNotFound {
			t.Errorf("check of a domain not administered: %d", code)
		}
	}
	if code, _, _ := p.login("bob@a.test").do("POST", "/domains/a.test/check", url.Values{}); code != http.StatusNotFound {
		t.Errorf("user checks its domain: %d", code)
	}
	if p.dns.count() != n {
		t.Fatal("a refused check looked up DNS")
	}
}
