package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/quarantine"
)

// historyData is the mail history page: the search form's values and one
// page of rows (one per recipient).
type historyData struct {
	Sender, Recipient, Subject, Verdict, Status, Since, Until string
	Reverse                                                   bool
	Rows                                                      []history.Row
	// Next is the next page's address ("" = last page): a template.URL,
	// else html/template would escape its query string's = and & away.
	Next               template.URL
	Verdicts, Statuses []string
}

// historyScope is what the caller's history queries are limited to: nil
// (all) for an admin, else mail to and from its own address and its
// domains.
func (c *call) historyScope() *history.Scope {
	if c.p.Admin {
		return nil
	}
	return &history.Scope{Addresses: []string{c.p.Login}, Domains: c.p.Domains}
}

// historyList searches the history in the caller's scope with
// history.Store.Search, the CLI's search, a page at a time by keyset.
func (s *Server) historyList(w http.ResponseWriter, r *http.Request, c *call) {
	if s.d.History == nil {
		s.notFound(w, r, c)
		return
	}
	q := r.URL.Query()
	d := historyData{Sender: q.Get("sender"), Recipient: q.Get("rcpt"), Subject: q.Get("q"), Verdict: q.Get("verdict"),
		Status: q.Get("status"), Since: q.Get("since"), Until: q.Get("until"), Reverse: q.Get("rev") == "1",
		Verdicts: []string{"clean", "spam", "content", "virus", history.VerdictRefused},
		Statuses: []string{"sent", "deferred", "bounced", "expired", "none"}}
	f := history.Filter{Sender: d.Sender, Recipient: d.Recipient, Subject: d.Subject, Reverse: d.Reverse, Limit: pageSize,
		Cursor: q.Get("cursor"), Scope: c.historyScope()}
	if d.Verdict != "" && !oneOf(d.Verdict, d.Verdicts) {
		s.badRequest(w, r, c, errors.New("unknown verdict"))
		return
	}
	if d.Status != "" && !oneOf(d.Status, d.Statuses) {
		s.badRequest(w, r, c, errors.New("unknown status"))
		return
	}
	f.Verdict, f.Status = d.Verdict, d.Status
	var err error
	if f.Since, err = historyDate(d.Since, s.opt.Now(), false); err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	if f.Until, err = historyDate(d.Until, s.opt.Now(), true); err != nil {
		s.badRequest(w, r, c, err)
		return
	}
	rows, err := s.d.History.Search(r.Context(), f)
	if err != nil {
		// Mostly the caller's words (a stale cursor, a subject the
		// full-text index cannot read); logged in case it is not.
		s.d.Log.Warn("web: history search", "err", err, "login", c.p.Login)
		s.badRequest(w, r, c, errors.New("this search cannot be answered; change it and try again"))
		return
	}
	d.Rows = rows
	if next := f.NextCursor(rows); next != "" {
		v := url.Values{}
		for k, val := range map[string]string{"sender": d.Sender, "rcpt": d.Recipient, "q": d.Subject, "verdict": d.Verdict,
			"status": d.Status, "since": d.Since, "until": d.Until} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if d.Reverse {
			v.Set("rev", "1")
		}
		v.Set("cursor", next)
		d.Next = template.URL("/history?" + v.Encode())
	}
	s.render(w, r, c, "history", &view{Title: "Mail history", Data: d})
}

// historyDate reads a date of the search form (the form's YYYY-MM-DD,
// local time like the dates the pages show, or what the CLI takes:
// RFC 3339, an age like 7d). A date as the end of the range includes
// that day.
func historyDate(v string, now time.Time, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, time.Local); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := quarantine.ParseTime(v, now)
	if err != nil {
		return t, fmt.Errorf("date %q: want YYYY-MM-DD", v)
	}
	return t, nil
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// historyShow is the story of one message (`history show`), as far as
// the caller's scope covers it: another user's id is 404 like an id that
// does not exist.
func (s *Server) historyShow(w http.ResponseWriter, r *http.Request, c *call) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if s.d.History == nil || err != nil {
		s.notFound(w, r, c)
		return
	}
	st, err := s.d.History.ShowScoped(r.Context(), id, c.historyScope())
	if errors.Is(err, history.ErrNotFound) {
		s.notFound(w, r, c)
		return
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	title := st.Subject
	if title == "" {
		title = st.QueueID
	}
	s.render(w, r, c, "story", &view{Title: title, Data: st})
}
