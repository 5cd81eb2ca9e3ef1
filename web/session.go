package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/web/account"
)

// call is one request of a logged-in (or half logged-in) browser.
type call struct {
	sess   account.Session
	p      account.Principal
	client string
	lang   string
}

// scope is what the caller's quarantine queries are limited to: nil (all)
// for an admin, else its own address and its domains.
func (c *call) scope() *quarantine.Scope {
	if c.p.Admin {
		return nil
	}
	return &quarantine.Scope{Recipients: []string{c.p.Login}, Domains: c.p.Domains}
}

// csrf is the token forms of this session carry.
func (c *call) csrf() string { return account.CSRFToken(c.sess.ID) }

type handler func(w http.ResponseWriter, r *http.Request, c *call)

// session reads the cookie's session; ok is false when there is none.
func (s *Server) session(r *http.Request) (*call, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return nil, account.ErrNoSession
	}
	sess, err := s.d.Accounts.Session(r.Context(), ck.Value, s.opt.Sessions)
	if err != nil {
		return nil, err
	}
	p, err := s.d.Accounts.Principal(r.Context(), sess.Login)
	if err != nil {
		return nil, err
	}
	return &call{sess: sess, p: p, client: clientAddr(r), lang: pickLang(r)}, nil
}

// guard runs h for a session in one of stages, checking the form token
// of every POST; others go to the page their stage allows.
func (s *Server) guard(h handler, stages ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.session(r)
		if err != nil {
			if !errors.Is(err, account.ErrNoSession) && !errors.Is(err, account.ErrNotFound) {
				s.fail(w, r, nil, err)
				return
			}
			if r.Method != http.MethodGet {
				plainError(w, r, "Session expired: log in again.", http.StatusForbidden)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		ok := false
		for _, st := range stages {
			ok = ok || c.sess.Stage == st
		}
		if !ok {
			http.Redirect(w, r, stageHome(c.sess.Stage), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(c.csrf())) != 1 {
				plainError(w, r, "Form expired: reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		h(w, r, c)
	}
}

func stageHome(stage string) string {
	switch stage {
	case account.StageTOTP:
		return "/login/totp"
	case account.StageEnrol:
		return "/account/totp"
	}
	return "/quarantine"
}

// withSession allows fully logged-in sessions only.
func (s *Server) withSession(h handler) http.HandlerFunc { return s.guard(h, account.StageFull) }

// withStage allows sessions at stage (enrolment also when fully logged in).
func (s *Server) withStage(stage string, h handler) http.HandlerFunc {
	if stage == account.StageEnrol {
		return s.guard(h, account.StageEnrol, account.StageFull)
	}
	return s.guard(h, stage)
}

// withAnySession allows any stage (logout).
func (s *Server) withAnySession(h handler) http.HandlerFunc {
	return s.guard(h, account.StageTOTP, account.StageEnrol, account.StageFull)
}

// setCookie hands a session to the browser.
func setCookie(w http.ResponseWriter, sess account.Session, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: sess.ID, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// clearCookie removes the session cookie.
func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// cleanLogin keeps a typed login fit for logs and the audit table.
func cleanLogin(s string) string {
	s = account.NormalizeLogin(s)
	if len(s) > 254 {
		s = s[:254]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
