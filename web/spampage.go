package web

import (
	"net/http"
	"net/url"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// userSpamSettings are the policy settings a user may set for itself
// when its domain allows it (`mailtower user set ADDR --spam-level N`).
var userSpamSettings = []string{"spam-level", "spam-action"}

// spamData is the spam filter page of one user.
type spamData struct {
	For    string
	Policy []policyField
}

// spamUser returns the user of the request ("for", else the caller) if
// the caller may change its spam settings: an admin of its domain, or the
// user itself when the domain allows its users to. Otherwise 404.
func (s *Server) spamUser(w http.ResponseWriter, r *http.Request, c *call) (*settings.User, *settings.Domain, bool) {
	addr := r.FormValue("for")
	if addr == "" {
		addr = c.p.Login
	}
	addr, domain, err := settings.NormalizeAddress(addr)
	allowed := err == nil && c.p.Administers(domain)
	if err == nil && !allowed && addr == c.p.Login {
		if allowed, err = s.d.Accounts.DomainUserSpam(r.Context(), domain); err != nil {
			s.fail(w, r, c, err)
			return nil, nil, false
		}
	}
	if !allowed {
		s.notFound(w, r, c)
		return nil, nil, false
	}
	u, err := s.d.Settings.User(r.Context(), addr)
	var d *settings.Domain
	if err == nil {
		d, err = s.d.Settings.Domain(r.Context(), domain)
	}
	if err != nil {
		s.fail(w, r, c, err)
		return nil, nil, false
	}
	return u, d, true
}

func (s *Server) spamPage(w http.ResponseWriter, r *http.Request, c *call) {
	u, d, ok := s.spamUser(w, r, c)
	if !ok {
		return
	}
	s.render(w, r, c, "spam", &view{Title: "Spam filter",
		Data: spamData{For: u.Address, Policy: policyFields(s.d.Defaults, d, u, userSpamSettings...)}})
}

func (s *Server) spamPost(w http.ResponseWriter, r *http.Request, c *call) {
	u, _, ok := s.spamUser(w, r, c)
	if !ok {
		return
	}
	var changes []string
	err := s.d.Settings.UpdateUser(r.Context(), u.Address, func(u *settings.User) error {
		var err error
		changes, err = applyPolicyForm(r, &u.Overrides, userSpamSettings...)
		return err
	})
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: u.Address, Detail: auditDetail(changes, err), OK: err == nil})
	if err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/spam?done=saved&for="+url.QueryEscape(u.Address), http.StatusSeeOther)
}

// mayEditSpam reports whether the caller may open its own spam filter
// page (for the Account page's link).
func (s *Server) mayEditSpam(r *http.Request, c *call) bool {
	_, domain, err := settings.NormalizeAddress(c.p.Login)
	if err != nil {
		return false
	}
	if _, err := s.d.Settings.User(r.Context(), c.p.Login); err != nil {
		return false
	}
	if c.p.Administers(domain) {
		return true
	}
	ok, err := s.d.Accounts.DomainUserSpam(r.Context(), domain)
	return err == nil && ok
}
