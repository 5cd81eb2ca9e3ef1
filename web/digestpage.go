package web

import (
	"errors"
	"net/http"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

// DigestPurpose is the purpose of digest link tokens.
const DigestPurpose = "digest"

// Digest links: /d/TOKEN lists the address's quarantine, /d/TOKEN/ID
// shows one message's summary with a Release button. A GET never acts
// (mail scanners and link previews fetch every URL in a message); only
// the button's POST releases. The token reaches nothing but its address's
// quarantine, expires with the digest and dies with a password change.

// digestData is the digest link page.
type digestData struct {
	Token string
	Login string
	Items []quarantine.Item
	One   bool
	// Ask: the Release buttons file requests (the domain wants them).
	Ask bool
}

// digestCall resolves the token to the address it acts for, or answers.
func (s *Server) digestCall(w http.ResponseWriter, r *http.Request) (string, bool) {
	login, err := s.d.Accounts.Token(r.Context(), r.PathValue("token"), DigestPurpose)
	if errors.Is(err, account.ErrBadToken) {
		w.WriteHeader(http.StatusNotFound)
		s.render(w, r, nil, "error", &view{Title: "Not found.", Error: "This link has expired. Log in to see your quarantine."})
		return "", false
	}
	if err != nil {
		s.fail(w, r, nil, err)
		return "", false
	}
	return login, true
}

func (s *Server) digestPage(w http.ResponseWriter, r *http.Request) {
	login, ok := s.digestCall(w, r)
	if !ok {
		return
	}
	sc := &quarantine.Scope{Recipients: []string{login}}
	d := digestData{Token: r.PathValue("token"), Login: login}
	var err error
	if id := r.PathValue("id"); id != "" {
		d.One = true
		d.Items, err = s.d.Quarantine.GetScoped(r.Context(), id, sc)
	} else {
		d.Items, err = s.d.Quarantine.List(r.Context(), quarantine.Filter{Scope: sc, Limit: pageSize})
	}
	if err == nil {
		d.Ask, err = s.d.Accounts.DomainReleaseRequests(r.Context(), address.DomainOf(login))
	}
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	s.render(w, r, nil, "digest", &view{Title: "Quarantine", Data: d})
}

func (s *Server) digestRelease(w http.ResponseWriter, r *http.Request) {
	login, ok := s.digestCall(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	items, err := s.d.Quarantine.GetScoped(r.Context(), id, &quarantine.Scope{Recipients: []string{login}})
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	open := openOnly(items)
	if len(open) == 0 {
		s.notFound(w, r, nil)
		return
	}
	// A digest link acts for its address alone, which administers nothing.
	ask, _, err := s.splitRequests(r.Context(), func(string) bool { return false }, open)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if len(ask) > 0 {
		if s.fileRequests(w, r, nil, login, id, ask, false) {
			http.Redirect(w, r, "/d/"+r.PathValue("token")+"?done=requested", http.StatusSeeOther)
		}
		return
	}
	rcpts := recipientsOf(open)
	_, err = s.d.Release(r.Context(), ReleaseRequest{ID: id, Recipients: rcpts, By: "digest:" + login})
	s.audit(r, audit.Entry{Actor: login, Action: audit.Release, Target: id, Detail: "from a digest link", OK: err == nil})
	if err != nil {
		s.releaseFailed(w, r, nil, err)
		return
	}
	s.closeRequests(r, id, rcpts, "digest:"+login)
	http.Redirect(w, r, "/d/"+r.PathValue("token")+"?done=released", http.StatusSeeOther)
}
