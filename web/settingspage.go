package web

import (
	"errors"
	"net/http"

	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

// accountData is the caller's account page.
type accountData struct {
	Digest string
	TOTP   bool
	// Spam links to the caller's own spam filter page.
	Spam bool
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *call) {
	dg, err := s.d.Accounts.Digest(r.Context(), c.p.Login)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.render(w, r, c, "account", &view{Title: "Account", Data: accountData{Digest: dg, TOTP: c.p.TOTP, Spam: s.mayEditSpam(r, c)}})
}

// accountPassword changes the caller's password. SetPassword ends every
// session and digest link of the login; this browser gets a new session.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	if err := s.d.Accounts.CheckPassword(ctx, c.p.Login, r.PostFormValue("current")); err != nil {
		s.d.Accounts.LoginFailed(ctx, c.p.Login, c.client)
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Password, Target: c.p.Login, Detail: "wrong current password"})
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, c, "error", &view{Title: "Change password", Error: "Wrong login or password."})
		return
	}
	err := s.d.Accounts.SetPassword(ctx, c.p.Login, r.PostFormValue("new"))
	if errors.Is(err, account.ErrWeakSecret) {
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, r, c, "error", &view{Title: "Change password", Error: "Password too short: at least 10 characters."})
		return
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Password, Target: c.p.Login, Detail: "changed", OK: true})
	sess, err := s.d.Accounts.NewSession(ctx, c.p.Login, account.StageFull, c.client)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	setCookie(w, sess, int(s.opt.Sessions.Max.Seconds()))
	http.Redirect(w, r, "/account?done=saved", http.StatusSeeOther)
}

func (s *Server) accountDigest(w http.ResponseWriter, r *http.Request, c *call) {
	sched := r.PostFormValue("digest")
	err := s.d.Accounts.SetDigest(r.Context(), c.p.Login, sched)
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: c.p.Login, Detail: "digest " + sched, OK: err == nil})
	if err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/account?done=saved", http.StatusSeeOther)
}

// auditPage shows the audit log to admins (newest first, keyset pages).
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *call) {
	if !c.p.Admin {
		s.notFound(w, r, c)
		return
	}
	f := audit.Filter{Actor: r.URL.Query().Get("actor"), Action: r.URL.Query().Get("action"), Limit: 100}
	entries, err := s.d.Audit.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.render(w, r, c, "audit", &view{Title: "Audit log", Data: entries})
}
