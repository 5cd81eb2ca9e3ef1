package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// sendersData is the allow/block list page of one address.
type sendersData struct {
	For          string
	Allow, Block []settings.Rule
}

// target is the address whose lists a request is about: the caller's
// own, or (for a domain admin or admin) the one in "for".
func (s *Server) target(r *http.Request, c *call) (string, bool) {
	addr := r.FormValue("for")
	if addr == "" {
		return c.p.Login, true
	}
	a, _, err := settings.NormalizeAddress(addr)
	if err != nil || !c.p.MayActFor(a) {
		return "", false
	}
	return a, true
}

func (s *Server) sendersPage(w http.ResponseWriter, r *http.Request, c *call) {
	addr, ok := s.target(r, c)
	if !ok {
		s.notFound(w, r, c)
		return
	}
	rules, err := s.d.Settings.Rules(r.Context(), settings.Scope{Kind: settings.ScopeUser, Name: addr}, "")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	d := sendersData{For: addr}
	for _, rl := range rules {
		switch rl.Kind {
		case settings.AllowSender:
			d.Allow = append(d.Allow, rl)
		case settings.BlockSender, settings.BlockSenderDomain:
			d.Block = append(d.Block, rl)
		}
	}
	s.render(w, r, c, "senders", &view{Title: "Senders", Data: d})
}

func (s *Server) sendersAdd(w http.ResponseWriter, r *http.Request, c *call) {
	addr, ok := s.target(r, c)
	if !ok {
		s.notFound(w, r, c)
		return
	}
	kind := settings.AllowSender
	if r.PostFormValue("kind") == "block" {
		kind = settings.BlockSender
	}
	rule, err := s.d.Settings.AddRule(r.Context(), settings.Rule{Scope: settings.Scope{Kind: settings.ScopeUser, Name: addr},
		Kind: kind, Value: r.PostFormValue("sender"), Comment: "web:" + c.p.Login})
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: addr,
		Detail: "add " + string(kind) + " " + rule.Value, OK: err == nil})
	if err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/senders?done=saved&for="+url.QueryEscape(addr), http.StatusSeeOther)
}

// sendersRemove removes a rule only if it is one of the target's own
// sender rules (looked up in its scope first), whatever id was posted.
func (s *Server) sendersRemove(w http.ResponseWriter, r *http.Request, c *call) {
	addr, ok := s.target(r, c)
	id, err := strconv.ParseInt(r.PathValue("rule"), 10, 64)
	if !ok || err != nil {
		s.notFound(w, r, c)
		return
	}
	rules, err := s.d.Settings.Rules(r.Context(), settings.Scope{Kind: settings.ScopeUser, Name: addr}, "")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	var found *settings.Rule
	for i := range rules {
		if rules[i].ID == id && (rules[i].Kind == settings.AllowSender || rules[i].Kind == settings.BlockSender ||
			rules[i].Kind == settings.BlockSenderDomain) {
			found = &rules[i]
		}
	}
	if found == nil {
		s.notFound(w, r, c)
		return
	}
	err = s.d.Settings.RemoveRule(r.Context(), id)
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: addr,
		Detail: "remove " + string(found.Kind) + " " + found.Value, OK: err == nil})
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/senders?done=saved&for="+url.QueryEscape(addr), http.StatusSeeOther)
}
