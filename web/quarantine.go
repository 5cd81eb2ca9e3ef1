package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

// pageSize is the rows of one quarantine page; deeper pages continue by
// keyset (quarantine.Filter.Cursor), so page 1000 costs what page 1 does.
const pageSize = 50

// listData is the quarantine list page.
type listData struct {
	Category, Search, Sort, Recipient string
	Reverse                           bool
	Items                             []quarantine.Item
	// Next is the next page's address ("" = last page): a template.URL,
	// else html/template would escape its query string's = and & away.
	Next template.URL
	Tabs []string
}

func (s *Server) quarantineList(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	d := listData{Category: q.Get("cat"), Search: q.Get("q"), Sort: q.Get("sort"), Reverse: q.Get("rev") == "1",
		Recipient: q.Get("rcpt"), Tabs: []string{"", "spam", "virus", "content"}}
	f := quarantine.Filter{Search: d.Search, Reverse: d.Reverse, Limit: pageSize, Cursor: q.Get("cursor"), Scope: c.scope()}
	if d.Category != "" {
		cat, err := quarantine.ParseCategory(d.Category)
		if err != nil {
			s.badRequest(w, r, c, err)
			return
		}
		f.Category = cat
	}
	switch d.Sort {
	case "", "received":
		d.Sort = ""
	case "size", "score", "sender":
		f.Sort = d.Sort
	default:
		s.badRequest(w, r, c, errors.New("unknown sort"))
		return
	}
	if d.Recipient != "" {
		f.Recipient = d.Recipient
		// One recipient the caller may see: scoping to it alone lets the
		// query walk the (recipient, received) index instead of the domain's.
		if sc := f.Scope; sc.Allows(d.Recipient) {
			f.Scope = &quarantine.Scope{Recipients: []string{d.Recipient}}
		}
	}
	items, err := s.d.Quarantine.List(r.Context(), f)
	if err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	d.Items = items
	if next := f.NextCursor(items); next != "" {
		v := url.Values{}
		for k, val := range map[string]string{"cat": d.Category, "q": d.Search, "sort": d.Sort, "rcpt": d.Recipient} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if d.Reverse {
			v.Set("rev", "1")
		}
		v.Set("cursor", next)
		d.Next = template.URL("/quarantine?" + v.Encode())
	}
	s.render(w, r, c, "quarantine", &view{Title: "Quarantine", Data: d})
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, c *call, err error) {
	w.WriteHeader(http.StatusBadRequest)
	s.render(w, r, c, "error", &view{Title: "Error", Error: localError(pickLang(r), err)})
}

// maxPreview bounds the header block and the text a preview shows.
const maxPreview = 64 << 10

// showData is the message page.
type showData struct {
	Items    []quarantine.Item
	Header   string
	Text     string
	Virus    bool
	Findings []scan.Finding
	Open     bool // some item is still quarantined
	Admin    bool // may force the release of a virus
	// Ask: the release buttons file a request (the domain wants them);
	// Asked: every such copy has a pending request already.
	Ask, Asked bool
	// Requests are the release requests of the recipients shown.
	Requests []releasereq.Request
}

func (s *Server) quarantineShow(w http.ResponseWriter, r *http.Request, c *call) {
	items, err := s.d.Quarantine.GetScoped(r.Context(), r.PathValue("id"), c.scope())
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	d := showData{Items: items, Findings: items[0].Findings, Admin: c.p.Admin}
	for _, it := range items {
		d.Virus = d.Virus || it.Category == scan.Virus
		d.Open = d.Open || it.State == quarantine.StateQuarantined
	}
	if err := s.requestState(r.Context(), c, &d); err != nil {
		s.fail(w, r, c, err)
		return
	}
	if f, err := s.d.Quarantine.OpenMessage(r.Context(), items[0]); err == nil {
		d.Header, d.Text = preview(f, s.d.Limits)
		f.Close()
	}
	s.render(w, r, c, "message", &view{Title: items[0].Subject, Data: d})
}

// openItems returns the caller's still quarantined items of message id,
// or answers the request (404).
func (s *Server) openItems(w http.ResponseWriter, r *http.Request, c *call) (string, []quarantine.Item, bool) {
	id := r.PathValue("id")
	items, err := s.d.Quarantine.GetScoped(r.Context(), id, c.scope())
	if err != nil {
		s.fail(w, r, c, err)
		return "", nil, false
	}
	open := openOnly(items)
	if len(open) == 0 {
		s.notFound(w, r, c)
		return "", nil, false
	}
	return id, open, true
}

// openOnly keeps the items still quarantined.
func openOnly(items []quarantine.Item) []quarantine.Item {
	var open []quarantine.Item
	for _, it := range items {
		if it.State == quarantine.StateQuarantined {
			open = append(open, it)
		}
	}
	return open
}

// recipientsOf lists the items' recipients.
func recipientsOf(items []quarantine.Item) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Recipient)
	}
	return out
}

// quarantineRelease releases the caller's copies through the CLI's
// release (Postfix re-injection, antivirus rescan). A virus is released
// only for an admin who used the virus form: for everyone else the
// quarantine refuses it (no Force). In a domain with release requests,
// a user's copies are not released but requested (requests.go).
func (s *Server) quarantineRelease(w http.ResponseWriter, r *http.Request, c *call) {
	id, open, ok := s.openItems(w, r, c)
	if !ok {
		return
	}
	remember := r.PostFormValue("remember") == "1"
	ask, direct, err := s.splitRequests(r.Context(), c.p.Administers, open)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if len(ask) > 0 {
		if !s.fileRequests(w, r, c, c.p.Login, id, ask, remember) {
			return
		}
		if len(direct) == 0 {
			http.Redirect(w, r, "/quarantine/"+id+"?done=requested", http.StatusSeeOther)
			return
		}
	}
	rcpts := recipientsOf(direct)
	// Only an admin may release a virus, and only by the form that says so.
	force := c.p.Admin && r.PostFormValue("virus") == "release"
	res, err := s.d.Release(r.Context(), ReleaseRequest{ID: id, Recipients: rcpts, By: "web:" + c.p.Login,
		Remember: remember, Force: force})
	detail := "to " + strings.Join(rcpts, ", ")
	if remember {
		detail += " (and remember the sender)"
	}
	if force {
		detail += " (virus, forced by an admin)"
	}
	if err != nil {
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Release, Target: id, Detail: detail + ": " + err.Error()})
		s.releaseFailed(w, r, c, err)
		return
	}
	if len(res.Released.Recipients) > 0 {
		detail = "to " + strings.Join(res.Released.Recipients, ", ")
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Release, Target: id, Detail: detail, OK: true})
	s.closeRequests(r, id, rcpts, "web:"+c.p.Login)
	http.Redirect(w, r, "/quarantine?done=released", http.StatusSeeOther)
}

// releaseFailed answers a refused or failed release (409).
func (s *Server) releaseFailed(w http.ResponseWriter, r *http.Request, c *call, err error) {
	w.WriteHeader(http.StatusConflict)
	s.render(w, r, c, "error", &view{Title: "Release", Error: releaseRefusal(err)})
}

// releaseRefusals say why the quarantine refused a release, in words for
// the portal's users (the errors' own texts name CLI flags).
var releaseRefusals = []struct {
	err  error
	text string
}{
	{quarantine.ErrVirus, "A virus cannot be released here. Ask your administrator."},
	{quarantine.ErrBusy, "Not released: another release of it is in progress. Wait a minute and reload the page."},
	{quarantine.ErrExpired, "Not released: its retention has expired. Ask your administrator."},
	{quarantine.ErrDeleted, "Not released: it was deleted from the quarantine."},
	{quarantine.ErrPurged, "Not released: its retention expired and it was removed from the quarantine."},
	{quarantine.ErrFileMissing, "Not released: its message file is missing. Ask your administrator."},
	{quarantine.ErrRescan, "Not released: it could not be scanned again before the release. Try again later."},
}

// releaseRefusal is the part of a release error a user may read: the
// quarantine's own reasons; anything else (sockets, files) stays in the log.
func releaseRefusal(err error) string {
	for _, rr := range releaseRefusals {
		if errors.Is(err, rr.err) {
			return rr.text
		}
	}
	return "Not released: the gateway could not hand it to the mail server. Try again later."
}

func (s *Server) quarantineDelete(w http.ResponseWriter, r *http.Request, c *call) {
	id, open, ok := s.openItems(w, r, c)
	if !ok {
		return
	}
	rcpts := recipientsOf(open)
	d, err := s.d.Quarantine.Delete(r.Context(), id, rcpts, "web:"+c.p.Login)
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Delete, Target: id,
		Detail: "for " + strings.Join(d.Recipients, ", "), OK: err == nil})
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.closeRequests(r, id, rcpts, "web:"+c.p.Login)
	http.Redirect(w, r, "/quarantine?done=deleted", http.StatusSeeOther)
}
