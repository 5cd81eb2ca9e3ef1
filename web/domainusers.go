package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

// A domain's users and aliases, changed by its admins as `mailtower user
// add|remove|passwd` and `alias add|remove` do. Every address posted must
// be of the domain in the path, which the caller administers.

// addressIn reads the form's address and checks that it is of domain.
func addressIn(r *http.Request, domain string) (string, error) {
	addr, dom, err := settings.NormalizeAddress(r.PostFormValue("address"))
	if err != nil {
		return "", err
	}
	if dom != domain {
		return "", fmt.Errorf("%s is not an address of %s", addr, domain)
	}
	return addr, nil
}

// userOf returns the posted user of the path's domain, or answers 404.
func (s *Server) userOf(w http.ResponseWriter, r *http.Request, c *call) (*settings.User, bool) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return nil, false
	}
	addr, err := addressIn(r, d.Name)
	if err != nil {
		s.notFound(w, r, c)
		return nil, false
	}
	u, err := s.d.Settings.User(r.Context(), addr)
	if err != nil || u.Domain != d.Name {
		if err == nil || isNotFound(err) {
			s.notFound(w, r, c)
		} else {
			s.fail(w, r, c, err)
		}
		return nil, false
	}
	return u, true
}

// mayManageLogin refuses a domain admin the login of an admin or of a
// domain admin (its own too): it could otherwise take over a login with
// more rights than its own. Admins may.
func (s *Server) mayManageLogin(w http.ResponseWriter, r *http.Request, c *call, login string) bool {
	if c.p.Admin {
		return true
	}
	has, err := s.d.Accounts.HasRole(r.Context(), login)
	if err != nil {
		s.fail(w, r, c, err)
		return false
	}
	if has {
		w.WriteHeader(http.StatusForbidden)
		s.render(w, r, c, "error", &view{Title: "Error", Error: "Only an admin can change an admin's login."})
		return false
	}
	return true
}

// changeAddress runs change on the posted address, which must be of the
// path's domain, records "what ADDRESS" in the audit log and returns to
// the domain page.
func (s *Server) changeAddress(w http.ResponseWriter, r *http.Request, c *call, what string,
	change func(ctx context.Context, domain, addr string) error) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	addr, err := addressIn(r, d.Name)
	if err == nil {
		err = change(r.Context(), d.Name, addr)
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: d.Name, Detail: what + " " + addr, OK: err == nil})
	s.domainChanged(w, r, c, d.Name, "", err)
}

// domainChanged answers a change of the domain's settings: 404 for
// something not found, 400 with the reason for a refused value, else
// back to the domain page (at anchor, when given).
func (s *Server) domainChanged(w http.ResponseWriter, r *http.Request, c *call, domain, anchor string, err error) {
	switch {
	case isNotFound(err):
		s.notFound(w, r, c)
	case err != nil:
		s.badRequest(w, r, c, err)
	default:
		http.Redirect(w, r, "/domains/"+domain+"?done=saved"+anchor, http.StatusSeeOther)
	}
}

func (s *Server) userAdd(w http.ResponseWriter, r *http.Request, c *call) {
	s.changeAddress(w, r, c, "add user", func(ctx context.Context, domain, addr string) error {
		return s.d.Settings.AddUser(ctx, settings.User{Address: addr, Domain: domain})
	})
}

// userRemove removes a user and its portal login (`mailtower user remove`).
func (s *Server) userRemove(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.userOf(w, r, c)
	if !ok || !s.mayManageLogin(w, r, c, u.Address) {
		return
	}
	err := s.d.Settings.RemoveUser(r.Context(), u.Address)
	if err == nil {
		err = s.d.Accounts.RemoveLogin(r.Context(), u.Address)
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: u.Domain, Detail: "remove user " + u.Address, OK: err == nil})
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/domains/"+u.Domain+"?done=saved", http.StatusSeeOther)
}

// userPassword sets a user's portal password (`mailtower user passwd`):
// it ends every session and digest link of that login.
func (s *Server) userPassword(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.userOf(w, r, c)
	if !ok || !s.mayManageLogin(w, r, c, u.Address) {
		return
	}
	err := s.d.Accounts.SetPassword(r.Context(), u.Address, r.PostFormValue("password"))
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Password, Target: u.Address, Detail: "set by domain admin", OK: err == nil})
	if errors.Is(err, account.ErrWeakSecret) {
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, r, c, "error", &view{Title: "Error", Error: "Password too short: at least 10 characters."})
		return
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/domains/"+u.Domain+"?done=saved", http.StatusSeeOther)
}

func (s *Server) aliasAdd(w http.ResponseWriter, r *http.Request, c *call) {
	s.changeAddress(w, r, c, "add alias", func(ctx context.Context, domain, addr string) error {
		return s.d.Settings.Aliases().Add(ctx, settings.Alias{Address: addr, Domain: domain, Target: r.PostFormValue("target")})
	})
}

func (s *Server) aliasRemove(w http.ResponseWriter, r *http.Request, c *call) {
	s.changeAddress(w, r, c, "remove alias", func(ctx context.Context, _, addr string) error {
		return s.d.Settings.Aliases().Remove(ctx, addr)
	})
}
