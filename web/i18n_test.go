package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestPickLang(t *testing.T) {
	for _, c := range []struct{ header, cookie, want string }{
		{"", "", "en"},
		{"nl", "", "nl"},
		{"nl-BE,nl;q=0.9,en;q=0.8", "", "nl"},
		{"de-DE,de;q=0.9,en;q=0.5,nl;q=0.4", "", "en"},
		{"de, fr", "", "en"},
		{"en-GB,en;q=0.9", "nl", "nl"},
		{"nl", "xx", "nl"},
		{"nl;q=abc", "", "nl"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", c.header)
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: c.cookie})
		}
		if got := pickLang(r); got != c.want {
			t.Errorf("Accept-Language %q, cookie %q: %s, want %s", c.header, c.cookie, got, c.want)
		}
	}
}

// TestDutch: the browser's language picks the page's, and the switch
// overrides it; the switch's return path stays on this site.
func TestDutch(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	req, _ := http.NewRequest("GET", p.srv.URL+"/login", nil)
	req.Header.Set("Accept-Language", "nl-NL")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := new(strings.Builder)
	buf := make([]byte, 1<<16)
	n, _ := resp.Body.Read(buf)
	page.Write(buf[:n])
	resp.Body.Close()
	if !strings.Contains(page.String(), "Inloggen") || !strings.Contains(page.String(), `lang="nl"`) {
		t.Fatalf("Dutch browser got:\n%s", page)
	}
	for back, want := range map[string]string{"/quarantine?cat=spam": "/quarantine?cat=spam", "//evil.example/": "/",
		"https://evil.example/": "/", "/\\evil": "/"} {
		code, _, h := b.do("POST", "/lang", url.Values{"lang": {"nl"}, "back": {back}})
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("switch back to %q: %d %q, want %q", back, code, h.Get("Location"), want)
		}
	}
	_, page2, _ := b.do("GET", "/login", nil)
	if !strings.Contains(page2, "Wachtwoord") {
		t.Fatal("the switch's cookie did not make the page Dutch")
	}
}
