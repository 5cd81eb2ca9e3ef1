package web

import (
	"errors"
	"net/http"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

// accountData is the caller's account page.
type accountData struct {
	Digest string
	TOTP   bool
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *call) {
	dg, err := s.d.Accounts.Digest(r.Context(), c.p.Login)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.render(w, r, c, "account", &view{Title: "Account", Data: accountData{Digest: dg, TOTP: c.p.TOTP}})
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

// domainRow is one domain on the domain admin's page.
type domainRow struct {
	Name        string
	Level       int // 0 = the default
	SpamAction  string
	RequireTOTP bool
	Users       []settings.User
}

// domainsPage lists the domains the caller administers, with their
// level, spam action, 2FA requirement and users.
func (s *Server) domainsPage(w http.ResponseWriter, r *http.Request, c *call) {
	if !c.p.Admin && !c.p.IsDomainAdmin() {
		s.notFound(w, r, c)
		return
	}
	all, err := s.d.Settings.Domains(r.Context())
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	var rows []domainRow
	for _, d := range all {
		if !c.p.Administers(d.Name) {
			continue
		}
		row := domainRow{Name: d.Name}
		if d.Overrides.SpamLevel != nil {
			row.Level = *d.Overrides.SpamLevel
		}
		if d.Overrides.SpamAction != nil {
			row.SpamAction = string(*d.Overrides.SpamAction)
		}
		if row.RequireTOTP, err = s.d.Accounts.DomainTOTP(r.Context(), d.Name); err != nil {
			s.fail(w, r, c, err)
			return
		}
		if row.Users, err = s.d.Settings.Users(r.Context(), d.Name); err != nil {
			s.fail(w, r, c, err)
			return
		}
		rows = append(rows, row)
	}
	s.render(w, r, c, "domains", &view{Title: "Domains", Data: rows})
}

// domainsPost changes a domain's spam level and action ("" = the
// default) and its 2FA requirement, as `mailtower domain set` does.
func (s *Server) domainsPost(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PathValue("domain")
	if !c.p.Administers(name) {
		s.notFound(w, r, c)
		return
	}
	var level *int
	if v := r.PostFormValue("level"); v != "" {
		n, err := settings.ParseLevel(v)
		if err != nil {
			s.badRequest(w, r, c, err)
			return
		}
		level = &n
	}
	var action *settings.Action
	if v := r.PostFormValue("spam_action"); v != "" {
		a, err := settings.ParseAction(v, settings.SpamActions...)
		if err != nil {
			s.badRequest(w, r, c, err)
			return
		}
		action = &a
	}
	err := s.d.Settings.UpdateDomain(r.Context(), name, func(d *settings.Domain) error {
		d.Overrides.SpamLevel, d.Overrides.SpamAction = level, action
		return nil
	})
	if errors.Is(err, settings.ErrNotFound) {
		s.notFound(w, r, c)
		return
	}
	if err == nil {
		err = s.d.Accounts.SetDomainTOTP(r.Context(), name, r.PostFormValue("require_totp") == "1")
	}
	detail := "spam level " + orDefault(r.PostFormValue("level")) + ", spam action " + orDefault(r.PostFormValue("spam_action")) +
		", require 2FA " + map[bool]string{true: "yes", false: "no"}[r.PostFormValue("require_totp") == "1"]
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: name, Detail: detail, OK: err == nil})
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/domains?done=saved", http.StatusSeeOther)
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
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
