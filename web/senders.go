package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// sendersData is the allow/block list page of one address or domain.
type sendersData struct {
	For          string
	Domain       bool
	Allow, Block []settings.Rule
}

// senderKinds are the rule kinds the Senders page shows and removes.
var senderKinds = []settings.RuleKind{settings.AllowSender, settings.BlockSender, settings.BlockSenderDomain}

// target is whose sender lists a request is about: the caller's own
// address, or in "for" an address or (with no @) a domain, which the
// caller must administer. A domain's rules apply to all its users.
func (s *Server) target(r *http.Request, c *call) (settings.Scope, bool) {
	v := r.FormValue("for")
	if v == "" {
		return settings.Scope{Kind: settings.ScopeUser, Name: c.p.Login}, true
	}
	if !strings.Contains(v, "@") {
		d, err := settings.NormalizeDomain(v)
		if err != nil || !c.p.Administers(d) {
			return settings.Scope{}, false
		}
		if _, err := s.d.Settings.Domain(r.Context(), d); err != nil {
			return settings.Scope{}, false
		}
		return settings.Scope{Kind: settings.ScopeDomain, Name: d}, true
	}
	a, _, err := settings.NormalizeAddress(v)
	if err != nil || !c.p.MayActFor(a) {
		return settings.Scope{}, false
	}
	return settings.Scope{Kind: settings.ScopeUser, Name: a}, true
}

func (s *Server) sendersPage(w http.ResponseWriter, r *http.Request, c *call) {
	scope, ok := s.target(r, c)
	if !ok {
		s.notFound(w, r, c)
		return
	}
	rules, err := s.d.Settings.Rules(r.Context(), scope, "")
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	d := sendersData{For: scope.Name, Domain: scope.Kind == settings.ScopeDomain}
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
	scope, ok := s.target(r, c)
	if !ok {
		s.notFound(w, r, c)
		return
	}
	kind := settings.AllowSender
	if r.PostFormValue("kind") == "block" {
		kind = settings.BlockSender
	}
	rule, err := s.d.Settings.AddRule(r.Context(), settings.Rule{Scope: scope,
		Kind: kind, Value: r.PostFormValue("sender"), Comment: "web:" + c.p.Login})
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: scope.Name,
		Detail: "add " + string(kind) + " " + rule.Value, OK: err == nil})
	if err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/senders?done=saved&for="+url.QueryEscape(scope.Name), http.StatusSeeOther)
}

// sendersRemove removes a rule only if it is one of the target's own
// sender rules: the delete itself is limited to that scope and those
// kinds, whatever id was posted.
func (s *Server) sendersRemove(w http.ResponseWriter, r *http.Request, c *call) {
	scope, ok := s.target(r, c)
	id, err := strconv.ParseInt(r.PathValue("rule"), 10, 64)
	if !ok || err != nil {
		s.notFound(w, r, c)
		return
	}
	rule, err := s.d.Settings.RemoveRuleIn(r.Context(), scope, id, senderKinds...)
	if isNotFound(err) {
		s.notFound(w, r, c)
		return
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Setting, Target: scope.Name,
		Detail: "remove " + string(rule.Kind) + " " + rule.Value, OK: err == nil})
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/senders?done=saved&for="+url.QueryEscape(scope.Name), http.StatusSeeOther)
}
