package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"

	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request, _ *call) {
	http.Redirect(w, r, "/quarantine", http.StatusSeeOther)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if c, err := s.session(r); err == nil {
		http.Redirect(w, r, stageHome(c.sess.Stage), http.StatusSeeOther)
		return
	}
	s.render(w, r, nil, "login", &view{Title: "Log in"})
}

// audit records an entry; a failure is logged, the action stands.
func (s *Server) audit(r *http.Request, e audit.Entry) {
	if e.Client == "" {
		e.Client = clientAddr(r)
	}
	if err := s.d.Audit.Record(r.Context(), e); err != nil {
		s.d.Log.Error("web: audit", "err", err)
	}
}

// loginPost checks the password. Unknown logins and wrong passwords get
// the same answer after the same work; failures count towards the limits
// per login and per client network before the password is even checked.
func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	login, pw := cleanLogin(r.PostFormValue("login")), r.PostFormValue("password")
	client := clientAddr(r)
	ctx := r.Context()
	retry := func(status int, msg, detail string) {
		s.audit(r, audit.Entry{Actor: login, Client: client, Action: audit.LoginFailed, Target: login, Detail: detail})
		w.WriteHeader(status)
		s.render(w, r, nil, "login", &view{Title: "Log in", Error: msg, Data: login})
	}
	if err := s.d.Accounts.LoginAllowed(ctx, login, client); err != nil {
		if errors.Is(err, account.ErrRateLimit) {
			retry(http.StatusTooManyRequests, "Too many failed logins: wait a few minutes.", "rate limited")
			return
		}
		s.fail(w, r, nil, err)
		return
	}
	if err := s.d.Accounts.CheckPassword(ctx, login, pw); err != nil {
		if !errors.Is(err, account.ErrBadLogin) {
			s.fail(w, r, nil, err)
			return
		}
		s.d.Accounts.LoginFailed(ctx, login, client)
		retry(http.StatusUnauthorized, "Wrong login or password.", "password")
		return
	}
	p, err := s.d.Accounts.Principal(ctx, login)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	need, err := s.d.Accounts.TOTPRequired(ctx, p)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	stage := account.StageFull
	switch {
	case p.TOTP:
		stage = account.StageTOTP
	case need:
		stage = account.StageEnrol
	}
	sess, err := s.d.Accounts.NewSession(ctx, login, stage, client)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if stage == account.StageFull {
		s.audit(r, audit.Entry{Actor: login, Action: audit.Login, Target: login, Detail: "password", OK: true})
	}
	setCookie(w, sess, int(s.opt.Sessions.Max.Seconds()))
	http.Redirect(w, r, stageHome(stage), http.StatusSeeOther)
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request, c *call) {
	s.render(w, r, c, "totp", &view{Title: "Two-factor code"})
}

func (s *Server) totpPost(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	if err := s.d.Accounts.LoginAllowed(ctx, c.p.Login, c.client); err != nil {
		if errors.Is(err, account.ErrRateLimit) {
			w.WriteHeader(http.StatusTooManyRequests)
			s.render(w, r, c, "totp", &view{Title: "Two-factor code", Error: "Too many failed logins: wait a few minutes."})
			return
		}
		s.fail(w, r, c, err)
		return
	}
	if err := s.d.Accounts.VerifyTOTP(ctx, c.p.Login, r.PostFormValue("code")); err != nil {
		if !errors.Is(err, account.ErrBadCode) {
			s.fail(w, r, c, err)
			return
		}
		s.d.Accounts.LoginFailed(ctx, c.p.Login, c.client)
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.LoginFailed, Target: c.p.Login, Detail: "second factor"})
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, c, "totp", &view{Title: "Two-factor code", Error: "Wrong or already used code."})
		return
	}
	if s.promote(w, r, c, "password+totp") {
		http.Redirect(w, r, "/quarantine", http.StatusSeeOther)
	}
}

// promote replaces a half session by a full one (a new id: the one seen
// before the second factor never grants anything).
func (s *Server) promote(w http.ResponseWriter, r *http.Request, c *call, how string) bool {
	sess, err := s.d.Accounts.Promote(r.Context(), c.sess, account.StageFull, c.client)
	if err != nil {
		s.fail(w, r, c, err)
		return false
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Login, Target: c.p.Login, Detail: how, OK: true})
	setCookie(w, sess, int(s.opt.Sessions.Max.Seconds()))
	c.sess = sess
	return true
}

// enrolData is the enrolment page.
type enrolData struct {
	Enrolled bool
	Secret   string
	QR       template.URL
	Codes    []string
}

func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request, c *call) {
	if c.p.TOTP {
		left, _ := s.d.Accounts.RecoveryLeft(r.Context(), c.p.Login)
		s.render(w, r, c, "enrol", &view{Title: "Two-factor login", Data: enrolData{Enrolled: true, Codes: make([]string, left)}})
		return
	}
	key, err := s.d.Accounts.BeginTOTP(r.Context(), c.p.Login, s.opt.Issuer)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	img, err := key.Image(240, 240)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		s.fail(w, r, c, err)
		return
	}
	// A data: URL of a PNGs we made ourselves; the CSP allows data: images.
	qr := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
	s.render(w, r, c, "enrol", &view{Title: "Set up two-factor login", Data: enrolData{Secret: key.Secret(), QR: qr}})
}

func (s *Server) enrolPost(w http.ResponseWriter, r *http.Request, c *call) {
	codes, err := s.d.Accounts.ConfirmTOTP(r.Context(), c.p.Login, r.PostFormValue("code"))
	if errors.Is(err, account.ErrBadCode) {
		s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.TOTP, Target: c.p.Login, Detail: "enrol: wrong code"})
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, c, "error", &view{Title: "Set up two-factor login", Error: "Wrong or already used code."})
		return
	}
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.TOTP, Target: c.p.Login, Detail: "enrolled", OK: true})
	if c.sess.Stage != account.StageFull && !s.promote(w, r, c, "password+totp enrolment") {
		return
	}
	s.render(w, r, c, "recovery", &view{Title: "Recovery codes", Data: codes})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) {
	if err := s.d.Accounts.EndSession(r.Context(), c.sess.ID); err != nil {
		s.fail(w, r, c, err)
		return
	}
	s.audit(r, audit.Entry{Actor: c.p.Login, Action: audit.Logout, Target: c.p.Login, OK: true})
	clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
