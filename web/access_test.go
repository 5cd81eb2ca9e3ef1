package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/settings"
)

// TestAccess is the table of who may see what: each role opens each
// message page and the list, and posts a release. A message outside the
// caller's scope is 404, exactly like an id that does not exist.
func TestAccess(t *testing.T) {
	p := newPortal(t)
	for _, dom := range []string{"a.test", "b.test"} { // one relay network each, which a refused remove must keep
		if err := p.settings.UpdateDomain(t.Context(), dom, func(d *settings.Domain) error {
			d.RelayNets = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		login string
		see   map[string]bool // message key -> visible (quarantine and history; bobout and shared are history only)
	}{
		{"bob@a.test", map[string]bool{"bob1": true, "bob2": true, "bobout": true, "shared": true}},
		{"carol@b.test", map[string]bool{"carol1": true, "shared": true}},
		{"dave@a.test", map[string]bool{"dave1": true}},
		{"boss@a.test", map[string]bool{"bob1": true, "bob2": true, "dave1": true, "bobout": true, "shared": true}},
		{"root", map[string]bool{"bob1": true, "bob2": true, "dave1": true, "carol1": true, "bobout": true, "shared": true}},
	} {
		t.Run(tc.login, func(t *testing.T) {
			b := p.login(tc.login)
			// open checks that page of message key answers 200 when the
			// caller may see it, else 404.
			open := func(key, page string) {
				t.Helper()
				code, _, _ := b.do("GET", page, nil)
				if want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[tc.see[key]]; code != want {
					t.Errorf("GET %s (%s): %d, want %d", page, key, code, want)
				}
			}
			_, list, _ := b.do("GET", "/quarantine", nil)
			for key, id := range p.ids {
				open(key, "/quarantine/"+id)
				if strings.Contains(list, id) != tc.see[key] {
					t.Errorf("list shows %s: %v, want %v", key, !tc.see[key], tc.see[key])
				}
				if !tc.see[key] {
					for _, action := range []string{"release", "delete"} {
						if code, _, _ := b.do("POST", "/quarantine/"+id+"/"+action, url.Values{}); code != http.StatusNotFound {
							t.Errorf("POST %s %s: %d, want 404", action, key, code)
						}
					}
				}
			}
			// The mail history: the list and each message's story, by id.
			_, hlist, _ := b.do("GET", "/history", nil)
			links := historyLinks(hlist)
			for key, id := range p.hids {
				open(key, "/history/"+id)
				if links[id] != tc.see[key] {
					t.Errorf("history list shows %s: %v, want %v", key, links[id], tc.see[key])
				}
			}
			if code, _, _ := b.do("GET", "/quarantine/no-such-id", nil); code != http.StatusNotFound {
				t.Errorf("unknown id: %d", code)
			}
			code, _, _ := b.do("GET", "/audit", nil)
			if (code == http.StatusOK) != (tc.login == "root") {
				t.Errorf("audit page: %d", code)
			}
			code, _, _ = b.do("GET", "/senders?for=carol@b.test", nil)
			if (code == http.StatusOK) != (tc.login == "root" || tc.login == "carol@b.test") {
				t.Errorf("carol's senders: %d", code)
			}
			// Domain settings: a domain admin its own domains, an admin all.
			admins := map[string]bool{"a.test": tc.login == "boss@a.test" || tc.login == "root", "b.test": tc.login == "root"}
			for dom, may := range admins {
				for _, path := range []string{"/domains/" + dom, "/senders?for=" + dom, "/domains/" + dom + "/requests"} {
					if code, _, _ := b.do("GET", path, nil); (code == http.StatusOK) != may {
						t.Errorf("GET %s: %d, may %v", path, code, may)
					}
				}
				if may {
					continue
				}
				for _, post := range []struct{ path, field, value string }{
					{"/domains/" + dom + "/policy", "spam-level", "5"},
					{"/domains/" + dom + "/options", "catch_all", "1"},
					{"/domains/" + dom + "/users", "address", "new@" + dom},
					{"/domains/" + dom + "/users/remove", "address", "dave@" + dom},
					{"/domains/" + dom + "/users/password", "address", "dave@" + dom},
					{"/domains/" + dom + "/aliases", "address", "info@" + dom},
					{"/senders", "for", dom},
					{"/domains/" + dom + "/relaynets", "net", "192.0.2.0/24"},
					{"/domains/" + dom + "/check", "back", "list"},
					{"/domains/" + dom + "/mirror", "days", "14"},
					{"/domains/" + dom + "/requests/1/approve", "x", ""},
					{"/domains/" + dom + "/requests/1/deny", "x", ""},
					{"/domains/" + dom + "/relaynets/remove", "net", "198.51.100.0/24"},
				} {
					form := url.Values{post.field: {post.value}, "password": {"a new long password"}, "sender": {"x@evil.example"}, "kind": {"block"}, "force": {"1"},
						"verify": {"callout"}, "key": {"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}}
					if code, _, _ := b.do("POST", post.path, form); code != http.StatusNotFound {
						t.Errorf("POST %s: %d, want 404", post.path, code)
					}
				}
			}
		})
	}
	if len(p.released) != 0 {
		t.Fatalf("releases happened: %v", p.released)
	}
	if n := p.dns.count(); n != 0 {
		t.Fatalf("%d DNS look-ups", n)
	}
	// Nothing of the refused posts reached the stores.
	for _, dom := range []string{"a.test", "b.test"} {
		d, err := p.settings.Domain(t.Context(), dom)
		if err != nil || d.CatchAll || d.Overrides.SpamLevel != nil || len(d.RelayNets) != 1 || d.Mirror != nil ||
			d.VerifyRecipients != settings.VerifyList {
			t.Errorf("%s changed: %+v %v", dom, d, err)
		}
		if rules, _ := p.settings.Rules(t.Context(), settings.Scope{Kind: settings.ScopeDomain, Name: dom}, ""); len(rules) != 0 {
			t.Errorf("%s got rules: %+v", dom, rules)
		}
		if as, _ := p.settings.Aliases().List(t.Context(), dom); len(as) != 0 {
			t.Errorf("%s got aliases: %+v", dom, as)
		}
		if _, err := p.settings.User(t.Context(), "new@"+dom); err == nil {
			t.Errorf("new@%s was added", dom)
		}
	}
}

func TestReleaseDeleteAndAudit(t *testing.T) {
	p := newPortal(t)
	b := p.login("bob@a.test")
	code, page, _ := b.do("GET", "/quarantine/"+p.ids["bob1"], nil)
	if code != 200 || strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=\"http://evil") ||
		!strings.Contains(page, "Buy now") {
		t.Fatalf("preview must show the HTML part as escaped text only:\n%s", page)
	}
	// Without the form token: refused.
	if code, _, _ := b.do("POST", "/quarantine/"+p.ids["bob1"]+"/release", url.Values{"csrf": {"x"}}); code != http.StatusForbidden {
		t.Fatalf("release without the form token: %d", code)
	}
	if code, _, h := b.do("POST", "/quarantine/"+p.ids["bob1"]+"/release", url.Values{}); code != http.StatusSeeOther ||
		h.Get("Location") != "/quarantine?done=released" {
		t.Fatalf("release: %d %v", code, h)
	}
	if len(p.released) != 1 || p.released[0] != p.ids["bob1"]+":bob@a.test" {
		t.Fatalf("released %v", p.released)
	}
	// A virus: no release button, and a forged post is refused.
	_, page, _ = b.do("GET", "/quarantine/"+p.ids["bob2"], nil)
	if strings.Contains(page, `id="release"`) {
		t.Fatal("release button shown for a virus")
	}
	if code, page, _ := b.do("POST", "/quarantine/"+p.ids["bob2"]+"/release", url.Values{}); code != http.StatusConflict ||
		!strings.Contains(page, "virus cannot be released") {
		t.Fatalf("virus release: %d", code)
	}
	// Asking for the admin's forced release as a user changes nothing.
	if code, _, _ := b.do("POST", "/quarantine/"+p.ids["bob2"]+"/release", url.Values{"virus": {"release"}}); code != http.StatusConflict {
		t.Fatalf("user forcing a virus release: %d", code)
	}
	if code, _, _ := b.do("POST", "/quarantine/"+p.ids["bob2"]+"/delete", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("delete: %d", code)
	}
	if code, _, _ := b.do("GET", "/quarantine/"+p.ids["bob2"], nil); code != 200 {
		t.Fatalf("deleted message page: %d", code)
	}
	root := p.login("root")
	_, page, _ = root.do("GET", "/audit", nil)
	for _, want := range []string{"quarantine.release", "quarantine.delete", "login", "bob@a.test", p.ids["bob1"]} {
		if !strings.Contains(page, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
}

func TestLoginFailuresAndHeaders(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	code, page, h := b.do("POST", "/login", url.Values{"login": {"bob@a.test"}, "password": {"wrong password"}})
	if code != http.StatusUnauthorized || !strings.Contains(page, "Wrong login or password.") {
		t.Fatalf("wrong password: %d", code)
	}
	for k, want := range map[string]string{"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if !strings.Contains(h.Get(k), want) {
			t.Errorf("%s: %q", k, h.Get(k))
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP lacks frame-ancestors")
	}
	for i := 0; i < 10; i++ {
		b.do("POST", "/login", url.Values{"login": {"bob@a.test"}, "password": {"wrong password"}})
	}
	if code, _, _ := b.do("POST", "/login", url.Values{"login": {"bob@a.test"}, "password": {pw}}); code != http.StatusTooManyRequests {
		t.Fatalf("after 11 failures the right password: %d, want 429", code)
	}
	// A cross-site form post is refused before any handler.
	req, _ := http.NewRequest("POST", p.srv.URL+"/login", strings.NewReader("login=carol@b.test&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site login post: %d", resp.StatusCode)
	}
	// The session cookie's attributes.
	b = p.browser()
	_, _, h = b.do("POST", "/login", url.Values{"login": {"carol@b.test"}, "password": {pw}})
	ck := h.Get("Set-Cookie")
	for _, want := range []string{"__Host-mailtower=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
}

// TestTOTPLogin: an enrolled admin needs the second factor; the half
// session reaches nothing else, and a used code does not work twice.
func TestTOTPLogin(t *testing.T) {
	p := newPortal(t)
	p.login("root") // enrols
	b := p.browser()
	_, _, h := b.do("POST", "/login", url.Values{"login": {"root"}, "password": {pw}})
	if h.Get("Location") != "/login/totp" {
		t.Fatalf("enrolled admin went to %q", h.Get("Location"))
	}
	if code, _, h := b.do("GET", "/quarantine", nil); code != http.StatusSeeOther || h.Get("Location") != "/login/totp" {
		t.Fatalf("half session opened the quarantine: %d %v", code, h.Get("Location"))
	}
	b.do("GET", "/login/totp", nil)
	if code, _, _ := b.do("POST", "/login/totp", url.Values{"code": {"000000"}}); code != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", code)
	}
	// The enrolment used this step's code: go to the next step.
	p.skew = 30 * time.Second
	code, _, h := b.do("POST", "/login/totp", url.Values{"code": {p.code(t, "root")}})
	if code != http.StatusSeeOther || h.Get("Location") != "/quarantine" {
		t.Fatalf("right code: %d %q", code, h.Get("Location"))
	}
	if code, _, _ := b.do("GET", "/quarantine", nil); code != 200 {
		t.Fatalf("after the second factor: %d", code)
	}
	if code, _, _ := b.do("POST", "/login/totp", url.Values{"code": {p.code(t, "root")}}); code != http.StatusSeeOther {
		t.Fatalf("full session posting a code again: %d", code)
	}
}

func TestDigestLinkGetNeverActs(t *testing.T) {
	p := newPortal(t)
	tok, err := p.acc.NewToken(t.Context(), "bob@a.test", DigestPurpose, timeNow().Add(time24))
	if err != nil {
		t.Fatal(err)
	}
	b := p.browser()
	for _, path := range []string{"/d/" + tok, "/d/" + tok + "/" + p.ids["bob1"]} {
		if code, _, _ := b.do("GET", path, nil); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
	}
	if code, _, _ := b.do("GET", "/d/"+tok+"/"+p.ids["carol1"], nil); code != http.StatusNotFound {
		t.Fatalf("another user's message through bob's link: %d", code)
	}
	if len(p.released) != 0 {
		t.Fatal("a GET released")
	}
	if code, _, _ := b.do("POST", "/d/"+tok+"/"+p.ids["carol1"]+"/release", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("release of carol's message with bob's token: %d", code)
	}
	if code, _, _ := b.do("POST", "/d/"+tok+"/"+p.ids["bob1"]+"/release", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("release by the button: %d", code)
	}
	if len(p.released) != 1 {
		t.Fatalf("released %v", p.released)
	}
	if code, _, _ := b.do("GET", "/d/"+strings.Repeat("A", 43), nil); code != http.StatusNotFound {
		t.Fatalf("forged token: %d", code)
	}
}

// TestAdminVirusRelease: a domain admin cannot force the release of a
// virus; an admin can, only with the virus form.
func TestAdminVirusRelease(t *testing.T) {
	p := newPortal(t)
	boss := p.login("boss@a.test")
	if code, _, _ := boss.do("POST", "/quarantine/"+p.ids["bob2"]+"/release", url.Values{"virus": {"release"}}); code != http.StatusConflict {
		t.Fatalf("domain admin forcing a virus release: %d", code)
	}
	root := p.login("root")
	if _, page, _ := root.do("GET", "/quarantine/"+p.ids["bob2"], nil); !strings.Contains(page, `id="release-virus"`) {
		t.Fatal("no virus release form for the admin")
	}
	if code, _, _ := root.do("POST", "/quarantine/"+p.ids["bob2"]+"/release", url.Values{}); code != http.StatusConflict {
		t.Fatalf("admin's plain release of a virus: %d", code)
	}
	if code, _, _ := root.do("POST", "/quarantine/"+p.ids["bob2"]+"/release", url.Values{"virus": {"release"}}); code != http.StatusSeeOther {
		t.Fatalf("admin's forced release of a virus: %d", code)
	}
	if len(p.released) != 1 || p.released[0] != p.ids["bob2"]+":bob@a.test" {
		t.Fatalf("released %v", p.released)
	}
}

// TestUnreadableFindingsShown: a message whose stored findings cannot be
// decoded still opens (to be released or deleted), with a marker; it used
// to be an error page.
func TestUnreadableFindingsShown(t *testing.T) {
	p := newPortal(t)
	if _, err := p.db.Exec(`UPDATE quarantine_messages SET findings = '{"v":' WHERE id = ?`, p.ids["bob1"]); err != nil {
		t.Fatal(err)
	}
	b := p.login("bob@a.test")
	code, page, _ := b.do("GET", "/quarantine/"+p.ids["bob1"], nil)
	if code != http.StatusOK || !strings.Contains(page, `id="findings-unreadable"`) || !strings.Contains(page, `id="release"`) {
		t.Fatalf("GET: %d, want 200 with the marker and the release button:\n%s", code, page)
	}
}
