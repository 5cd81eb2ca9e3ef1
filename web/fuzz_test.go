package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzSessionCookie sends arbitrary session cookies: never a panic and
// never a page, only the way to the login.
func FuzzSessionCookie(f *testing.F) {
	p := newPortal(f)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("%00;;==")
	h := p.srv.Config.Handler
	f.Fuzz(func(t *testing.T, v string) {
		req := httptest.NewRequest("GET", "/quarantine", nil)
		req.Header.Set("Cookie", CookieName+"="+v)
		req.Header.Set("Accept-Language", v)
		req.Header.Set("X-Forwarded-For", v)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
			t.Fatalf("cookie %q: %d %s", v, w.Code, w.Header().Get("Location"))
		}
	})
}
