package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/mailtower/mailtower/mxcheck"
)

// The MX/DNS check of a domain (`mailtower domain check`, package
// mxcheck), shown green, amber or red on the Domains page and each
// domain's page. A page view never resolves anything: it shows the last
// result this portal process has. Only the "Check now" button's POST
// looks the records up, at most once per session every mxSessionGap, and
// a result younger than mxFresh is reused for everyone, so neither a
// flood of GETs nor of POSTs turns into DNS queries.

const (
	// mxSessionGap is the least time between two checks of one session.
	mxSessionGap = 10 * time.Second
	// mxFresh is how long a result is reused instead of asking DNS again.
	mxFresh = 30 * time.Second
	// mxTimeout bounds one check's look-ups.
	mxTimeout = 10 * time.Second
	// mxParallel bounds the checks running at once, over all sessions.
	mxParallel = 4
)

// mxResult is a domain's last check.
type mxResult struct {
	At time.Time
	// Res is the outcome; nil when DNS did not answer (Failed).
	Res    *mxcheck.Result
	Failed bool
}

// Class is the colour of the result on the page: ok, warn, fail, or
// none when DNS did not answer.
func (m *mxResult) Class() string {
	if m == nil || m.Res == nil {
		return "none"
	}
	return map[mxcheck.Status]string{mxcheck.OK: "ok", mxcheck.Warn: "warn", mxcheck.Fail: "fail"}[m.Res.Status]
}

// Label is the result in a word (translated on the page).
func (m *mxResult) Label() string {
	switch {
	case m == nil:
		return "Not checked"
	case m.Res == nil:
		return "DNS did not answer"
	}
	return map[mxcheck.Status]string{mxcheck.OK: "MX records point here", mxcheck.Warn: "Mail can bypass the gateway",
		mxcheck.Fail: "Mail does not reach the gateway"}[m.Res.Status]
}

// mxChecks keeps the results and the per-session pace.
type mxChecks struct {
	resolver mxcheck.Resolver
	names    []string
	now      func() time.Time
	slots    chan struct{}

	mu      sync.Mutex
	results map[string]*mxResult
	last    map[string]time.Time // session key -> last check
}

func newMXChecks(r mxcheck.Resolver, names []string, now func() time.Time) *mxChecks {
	return &mxChecks{resolver: r, names: names, now: now, slots: make(chan struct{}, mxParallel),
		results: map[string]*mxResult{}, last: map[string]time.Time{}}
}

// result is domain's last check, nil if none.
func (m *mxChecks) result(domain string) *mxResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.results[domain]
}

// allow takes session's turn; false when it checked less than
// mxSessionGap ago. Old turns are forgotten so the map stays small.
func (m *mxChecks) allow(session string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if t, ok := m.last[session]; ok && now.Sub(t) < mxSessionGap {
		return false
	}
	if len(m.last) > 1000 {
		for k, t := range m.last {
			if now.Sub(t) >= mxSessionGap {
				delete(m.last, k)
			}
		}
	}
	m.last[session] = now
	return true
}

// check looks domain up unless a fresh result exists; ok is false when
// too many checks run already.
func (m *mxChecks) check(ctx context.Context, domain string) (res *mxResult, ok bool) {
	if r := m.result(domain); r != nil && m.now().Sub(r.At) < mxFresh {
		return r, true
	}
	select {
	case m.slots <- struct{}{}:
		defer func() { <-m.slots }()
	default:
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, mxTimeout)
	defer cancel()
	out, err := mxcheck.Check(ctx, m.resolver, domain, m.names)
	res = &mxResult{At: m.now(), Res: out, Failed: err != nil}
	if err != nil {
		res.Res = nil
	}
	m.mu.Lock()
	m.results[domain] = res
	m.mu.Unlock()
	return res, true
}

// domainCheck is the "Check now" button: it checks the path's domain
// (which the caller administers) and returns to the page it came from.
func (s *Server) domainCheck(w http.ResponseWriter, r *http.Request, c *call) {
	d, ok := s.domainOf(w, r, c)
	if !ok {
		return
	}
	var res *mxResult
	allowed := s.mx != nil && s.mx.allow(c.csrf())
	if allowed {
		res, allowed = s.mx.check(r.Context(), d.Name)
	}
	if !allowed {
		w.WriteHeader(http.StatusTooManyRequests)
		s.render(w, r, c, "error", &view{Title: "MX check", Error: "Checked a moment ago: wait a few seconds and try again."})
		return
	}
	if res.Failed {
		s.d.Log.Warn("web: MX check: DNS did not answer", "domain", d.Name)
	}
	back := "/domains/" + d.Name + "?done=checked#mx"
	if r.PostFormValue("back") == "list" {
		back = "/domains?done=checked"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
