package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

// Release requests: in a domain with the "request release" option, a
// user's release (the portal's button, a digest link's button) files a
// request instead; the domain's admins see the pending ones on the
// domain's Release requests page and approve (the normal release path,
// Deps.Release) or deny. Admins and the domain's admins release directly.
// A virus is never requested: it stays admin-only.

// maxRequestsShown bounds the pending requests a page lists.
const maxRequestsShown = 100

// splitRequests divides open items into those a request is needed for
// (their domain asks for requests and the caller does not administer
// it) and those the caller releases directly.
func (s *Server) splitRequests(ctx context.Context, administers func(string) bool, open []quarantine.Item) (ask, direct []quarantine.Item, err error) {
	mode := map[string]bool{}
	for _, it := range open {
		dom := address.DomainOf(it.Recipient)
		on, seen := mode[dom]
		if !seen {
			if on, err = s.d.Accounts.DomainReleaseRequests(ctx, dom); err != nil {
				return nil, nil, err
			}
			mode[dom] = on
		}
		if on && !administers(dom) {
			ask = append(ask, it)
		} else {
			direct = append(direct, it)
		}
	}
	return ask, direct, nil
}

// fileRequests records a request per item for actor, or answers: a virus
// is refused as its release would be. c is nil for a digest link.
func (s *Server) fileRequests(w http.ResponseWriter, r *http.Request, c *call, actor, id string, items []quarantine.Item, remember bool) bool {
	for _, it := range items {
		if it.Category == scan.Virus {
			s.audit(r, audit.Entry{Actor: actor, Action: audit.Request, Target: id, Detail: "for " + it.Recipient + ": a virus"})
			s.releaseFailed(w, r, c, quarantine.ErrVirus)
			return false
		}
	}
	for _, it := range items {
		_, err := s.d.Requests.Ask(r.Context(), releasereq.Request{Message: id, Recipient: it.Recipient,
			Domain: address.DomainOf(it.Recipient), Remember: remember, RequestedBy: actor})
		detail := "release for " + it.Recipient
		if remember {
			detail += " (and remember the sender)"
		}
		s.audit(r, audit.Entry{Actor: actor, Action: audit.Request, Target: id, Detail: detail, OK: err == nil})
		if err != nil {
			s.fail(w, r, c, err)
			return false
		}
	}
	return true
}

// closeRequests ends the pending requests of a message's recipients that
// left the quarantine another way; a failure is only logged.
func (s *Server) closeRequests(r *http.Request, id string, rcpts []string, by string) {
	if err := s.d.Requests.Close(r.Context(), id, rcpts, by); err != nil {
		s.d.Log.Error("web: close release requests", "id", id, "err", err)
	}
}

// requestState fills the message page's request mode and the requests
// of the recipients the caller sees.
func (s *Server) requestState(ctx context.Context, c *call, d *showData) error {
	ask, _, err := s.splitRequests(ctx, c.p.Administers, openOnly(d.Items))
	if err != nil {
		return err
	}
	all, err := s.d.Requests.ForMessage(ctx, d.Items[0].ID)
	if err != nil {
		return err
	}
	seen := recipientsOf(d.Items)
	pending := map[string]bool{}
	for _, rq := range all {
		if slices.Contains(seen, rq.Recipient) {
			d.Requests = append(d.Requests, rq)
			pending[rq.Recipient] = pending[rq.Recipient] || rq.State == releasereq.Pending
		}
	}
	d.Ask, d.Asked = len(ask) > 0, len(ask) > 0
	for _, it := range ask {
		d.Asked = d.Asked && pending[it.Recipient]
	}
	return nil
}

// pendingRequest is one row of the requests page.
type pendingRequest struct {
	releasereq.Request
	Item *quarantine.Item // nil when it is no longer in the quarantine
}

// requestsData is a domain's Release requests page.
type requestsData struct {
	Domain   string
	Requests []pendingRequest
}

// requestsPage lists the domain's pending requests with what they are for.
func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request, c *call) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	reqs, err := s.d.Requests.Pending(r.Context(), d.Name, maxRequestsShown)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	data := requestsData{Domain: d.Name}
	for _, rq := range reqs {
		row := pendingRequest{Request: rq}
		items, err := s.d.Quarantine.GetScoped(r.Context(), rq.Message, &quarantine.Scope{Recipients: []string{rq.Recipient}})
		if err == nil && items[0].State == quarantine.StateQuarantined {
			row.Item = &items[0]
		} else if err != nil && !isNotFound(err) {
			s.fail(w, r, c, err)
			return
		}
		data.Requests = append(data.Requests, row)
	}
	s.render(w, r, c, "requests", &view{Title: "Release requests", Data: data})
}

// requestOf returns the pending request in the path, of the path's
// domain (which the caller administers), or answers 404.
func (s *Server) requestOf(w http.ResponseWriter, r *http.Request, c *call) (releasereq.Request, bool) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return releasereq.Request{}, false
	}
	id, err := strconv.ParseInt(r.PathValue("req"), 10, 64)
	var rq releasereq.Request
	if err == nil {
		rq, err = s.d.Requests.Get(r.Context(), id, d.Name)
	}
	if err == nil && rq.State != releasereq.Pending {
		err = releasereq.ErrNotFound
	}
	if err != nil {
		if errors.Is(err, releasereq.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange) {
			s.notFound(w, r, c)
		} else {
			s.fail(w, r, c, err)
		}
		return releasereq.Request{}, false
	}
	return rq, true
}

// requestApprove releases the requested copy the normal way. The request
// is claimed first, so two admins approving at once release it once; a
// failed release puts it back to pending.
func (s *Server) requestApprove(w http.ResponseWriter, r *http.Request, c *call) {
	rq, ok := s.requestOf(w, r, c)
	if !ok {
		return
	}
	ctx := r.Context()
	back := "/domains/" + rq.Domain + "/requests"
	items, err := s.d.Quarantine.GetScoped(ctx, rq.Message, &quarantine.Scope{Recipients: []string{rq.Recipient}})
	if (err == nil && items[0].State != quarantine.StateQuarantined) || isNotFound(err) {
		err = s.d.Requests.Decide(ctx, rq.ID, rq.Domain, releasereq.Closed, "web:"+c.p.Login)
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Release, Target: rq.Message,
			Detail: "request #" + strconv.FormatInt(rq.ID, 10) + " of " + rq.RequestedBy + ": no longer in quarantine"})
		s.decided(w, r, c, back+"?done=gone", err)
		return
	}
	if err == nil {
		err = s.d.Requests.Decide(ctx, rq.ID, rq.Domain, releasereq.Approved, c.p.Login)
	}
	if err != nil {
		s.decided(w, r, c, "", err)
		return
	}
	_, err = s.d.Release(ctx, ReleaseRequest{ID: rq.Message, Recipients: []string{rq.Recipient},
		By: "web:" + c.p.Login + " (requested by " + rq.RequestedBy + ")", Remember: rq.Remember})
	detail := "to " + rq.Recipient + ", approving request #" + strconv.FormatInt(rq.ID, 10) + " of " + rq.RequestedBy
	if err != nil {
		if rerr := s.d.Requests.Reopen(context.WithoutCancel(ctx), rq.ID, rq.Domain); rerr != nil {
			s.d.Log.Error("web: reopen release request", "request", rq.ID, "err", rerr)
		}
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Release, Target: rq.Message, Detail: detail + ": " + err.Error()})
		s.releaseFailed(w, r, c, err)
		return
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Release, Target: rq.Message, Detail: detail, OK: true})
	http.Redirect(w, r, back+"?done=released", http.StatusSeeOther)
}

// requestDeny refuses a request; the message stays in the quarantine.
func (s *Server) requestDeny(w http.ResponseWriter, r *http.Request, c *call) {
	rq, ok := s.requestOf(w, r, c)
	if !ok {
		return
	}
	err := s.d.Requests.Decide(r.Context(), rq.ID, rq.Domain, releasereq.Denied, c.p.Login)
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Deny, Target: rq.Message,
		Detail: "request #" + strconv.FormatInt(rq.ID, 10) + " of " + rq.RequestedBy + " for " + rq.Recipient, OK: err == nil})
	s.decided(w, r, c, "/domains/"+rq.Domain+"/requests?done=denied", err)
}

// decided answers a decision: 404 when another admin was quicker.
func (s *Server) decided(w http.ResponseWriter, r *http.Request, c *call, back string, err error) {
	switch {
	case errors.Is(err, releasereq.ErrNotFound):
		s.notFound(w, r, c)
	case err != nil:
		s.fail(w, r, c, err)
	default:
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}
