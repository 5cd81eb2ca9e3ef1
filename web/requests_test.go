package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

// TestReleaseRequests: with the domain option on, a user's release (and
// a digest link's) becomes a request; the user sees its state; only an
// admin of that domain approves (the normal release) or denies; a virus
// is never requested; the domain's admins still release directly.
func TestReleaseRequests(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	boss := p.login("boss@a.test")
	if code, _, _ := boss.do("POST", "/domains/a.test/options", url.Values{"release_requests": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("option: %d", code)
	}
	if on, _ := p.acc.DomainReleaseRequests(ctx, "a.test"); !on {
		t.Fatal("option not stored")
	}
	bob := p.login("bob@a.test")
	bob1 := p.ids["bob1"]
	if _, page, _ := bob.do("GET", "/quarantine/"+bob1, nil); !strings.Contains(page, `id="request-release"`) || strings.Contains(page, `id="release"`) {
		t.Fatalf("bob's page: no request button:\n%s", page)
	}
	code, _, h := bob.do("POST", "/quarantine/"+bob1+"/release", url.Values{"remember": {"1"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/quarantine/"+bob1+"?done=requested" {
		t.Fatalf("request: %d %v", code, h.Get("Location"))
	}
	bob.do("POST", "/quarantine/"+bob1+"/release", url.Values{}) // again: still one request
	if len(p.released) != 0 {
		t.Fatalf("a user's release in request mode released: %v", p.released)
	}
	if _, page, _ := bob.do("GET", "/quarantine/"+bob1, nil); !strings.Contains(page, `id="request-pending"`) ||
		!strings.Contains(page, `class="req-pending"`) || strings.Contains(page, `id="request-release"`) {
		t.Fatalf("bob does not see the pending request:\n%s", page)
	}
	// A virus is not requested either.
	if code, _, _ := bob.do("POST", "/quarantine/"+p.ids["bob2"]+"/release", url.Values{}); code != http.StatusConflict {
		t.Fatalf("virus request: %d", code)
	}
	// A digest link of dave's: its button files a request too.
	tok, err := p.acc.NewToken(ctx, "dave@a.test", DigestPurpose, timeNow().Add(time24))
	if err != nil {
		t.Fatal(err)
	}
	anon := p.browser()
	if _, page, _ := anon.do("GET", "/d/"+tok, nil); !strings.Contains(page, "Request release") {
		t.Fatalf("digest page button:\n%s", page)
	}
	if code, _, h := anon.do("POST", "/d/"+tok+"/"+p.ids["dave1"]+"/release", url.Values{}); code != http.StatusSeeOther ||
		!strings.HasSuffix(h.Get("Location"), "?done=requested") {
		t.Fatalf("digest request: %d %v", code, h.Get("Location"))
	}
	if len(p.released) != 0 {
		t.Fatalf("released: %v", p.released)
	}
	pend, _ := p.requests.Pending(ctx, "a.test", 10)
	if len(pend) != 2 {
		t.Fatalf("pending: %+v", pend)
	}
	// The domain admin sees both; b.test's admin (root aside) and users do not.
	_, page, _ := boss.do("GET", "/domains/a.test/requests", nil)
	ids := regexp.MustCompile(`id="request-(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) != 2 || !strings.Contains(page, "Cheap pills") || !strings.Contains(page, "Payroll") {
		t.Fatalf("requests page:\n%s", page)
	}
	byRcpt := map[string]string{}
	for _, rq := range pend {
		byRcpt[rq.Recipient] = itoa(rq.ID)
	}
	carol := p.login("carol@b.test")
	for _, b := range []*browser{bob, carol} {
		if code, _, _ := b.do("GET", "/domains/a.test/requests", nil); code != http.StatusNotFound {
			t.Errorf("requests page for a non-admin: %d", code)
		}
		for _, act := range []string{"approve", "deny"} {
			if code, _, _ := b.do("POST", "/domains/a.test/requests/"+byRcpt["bob@a.test"]+"/"+act, url.Values{}); code != http.StatusNotFound {
				t.Errorf("%s by a non-admin: %d", act, code)
			}
		}
	}
	// A request id under another domain's path is not found, even for root.
	root := p.login("root")
	if code, _, _ := root.do("POST", "/domains/b.test/requests/"+byRcpt["bob@a.test"]+"/approve", url.Values{}); code != http.StatusNotFound {
		t.Errorf("approve through b.test: %d", code)
	}
	if code, _, h := boss.do("POST", "/domains/a.test/requests/"+byRcpt["bob@a.test"]+"/approve", url.Values{}); code != http.StatusSeeOther ||
		h.Get("Location") != "/domains/a.test/requests?done=released" {
		t.Fatalf("approve: %d %v", code, h.Get("Location"))
	}
	if len(p.released) != 1 || p.released[0] != bob1+":bob@a.test" || len(p.remembered) != 1 {
		t.Fatalf("released %v, remembered %v (bob asked to allow the sender)", p.released, p.remembered)
	}
	if code, _, _ := boss.do("POST", "/domains/a.test/requests/"+byRcpt["bob@a.test"]+"/approve", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("second approval: %d", code)
	}
	if code, _, _ := boss.do("POST", "/domains/a.test/requests/"+byRcpt["dave@a.test"]+"/deny", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("deny: %d", code)
	}
	if len(p.released) != 1 {
		t.Fatalf("deny released: %v", p.released)
	}
	if _, page, _ := bob.do("GET", "/quarantine/"+bob1, nil); !strings.Contains(page, `class="req-approved"`) || !strings.Contains(page, "boss@a.test") {
		t.Fatalf("bob does not see the approval:\n%s", page)
	}
	all, _ := p.requests.ForMessage(ctx, p.ids["dave1"])
	if len(all) != 1 || all[0].State != releasereq.Denied {
		t.Fatalf("dave's request: %+v", all)
	}
	// The domain admin itself releases directly.
	if code, _, h := boss.do("POST", "/quarantine/"+p.ids["dave1"]+"/release", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/quarantine?done=released" {
		t.Fatalf("domain admin's release: %d %v", code, h.Get("Location"))
	}
	// carol's domain has no requests: she releases directly.
	if code, _, h := carol.do("POST", "/quarantine/"+p.ids["carol1"]+"/release", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/quarantine?done=released" {
		t.Fatalf("carol's release: %d %v", code, h.Get("Location"))
	}
	entries, _ := p.audit.List(ctx, audit.Filter{})
	var log []string
	for _, e := range entries {
		log = append(log, e.Action+" "+e.Actor+" "+e.Detail)
	}
	for _, want := range []string{"quarantine.request bob@a.test release for bob@a.test (and remember the sender)",
		"quarantine.request dave@a.test release for dave@a.test", "quarantine.release boss@a.test to bob@a.test, approving request",
		"quarantine.deny boss@a.test request"} {
		if !strings.Contains(strings.Join(log, "\n"), want) {
			t.Errorf("audit lacks %q:\n%s", want, strings.Join(log, "\n"))
		}
	}
}
