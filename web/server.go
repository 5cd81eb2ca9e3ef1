// Package web is the self-service portal: users see and release their own
// quarantined mail and keep their sender lists, domain admins do the same
// for every user of their domains and keep the domains' settings, users
// and aliases, admins see everything and the audit log. Users see the
// mail history of their address, domain admins their domains'. It is plain net/http with html/template
// and embedded assets: no JavaScript, every action a form POST.
//
// The portal holds no mail logic of its own: it reads and writes through
// the quarantine and settings stores like the CLI, and releases through
// the function the CLI uses (Deps.Release). Every quarantine query carries
// the caller's quarantine.Scope, every history query its history.Scope,
// so what a role may see is decided in SQL.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/mxcheck"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CookieName is the session cookie. The __Host- prefix makes browsers
// accept it only with Secure, Path=/ and no Domain, so no other host and
// no plain-HTTP page can set or overwrite it.
const CookieName = "__Host-mailtower"

// ReleaseResult is what a release through Deps.Release did.
type ReleaseResult struct {
	Released quarantine.Released
	// Remembered is set when remember was asked.
	Remembered *quarantine.Remembered
}

// ReleaseRequest is one release the portal asks for.
type ReleaseRequest struct {
	ID         string
	Recipients []string
	// By names who releases (the X-Mailtower-Released header).
	By string
	// Remember also allows the sender and learns the message as not spam.
	Remember bool
	// Force releases a virus (only an admin's explicit request).
	Force bool
}

// ReleaseFunc releases as `mailtower quarantine release` does; the
// composition root provides it (gateway.Releaser, the one release path
// of both), so the portal has no release path of its own.
type ReleaseFunc func(ctx context.Context, req ReleaseRequest) (ReleaseResult, error)

// Deps are the stores the portal works on.
type Deps struct {
	Accounts   *account.Store
	Audit      *audit.Log
	Quarantine *quarantine.Store
	Settings   *settings.SQLStore
	// History is the mail history (nil: [history] is off, no history pages).
	History *history.Store
	// Requests are the users' release requests.
	Requests *releasereq.Store
	// Defaults is the policy of [defaults], what a domain inherits.
	Defaults settings.Policy
	Release  ReleaseFunc
	// Resolver answers the MX/DNS check of the domain pages (nil: no
	// check is offered).
	Resolver mxcheck.Resolver
	// Limits bound the MIME parsing of previews.
	Limits mimewalk.Limits
	Log    *slog.Logger
}

// Options configure the portal.
type Options struct {
	// BaseURL is the https:// address users open (digest links).
	BaseURL  string
	Sessions account.SessionLimits
	// Issuer names the gateway in authenticator apps.
	Issuer string
	// MXNames are the host names customers' MX records must point at
	// (mx_names and hostname), for the MX/DNS check.
	MXNames []string
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time
}

// Server is the portal's HTTP handler.
type Server struct {
	d     Deps
	opt   Options
	pages map[string]*template.Template
	mux   *http.ServeMux
	mx    *mxChecks // nil without a resolver
}

// New builds the portal.
func New(d Deps, opt Options) (*Server, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Issuer == "" {
		opt.Issuer = "mailtower"
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{d: d, opt: opt, pages: pages, mux: http.NewServeMux()}
	if d.Resolver != nil {
		s.mx = newMXChecks(d.Resolver, opt.MXNames, opt.Now)
	}
	s.routes()
	return s, nil
}

// Handler returns the portal with its protections: security headers on
// every answer, and Go's cross-origin protection, which refuses a
// state-changing request that the browser marks as coming from another
// site (Sec-Fetch-Site, Origin) before any handler runs.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(s.mux))
}

func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.withSession(s.home))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.loginPost)
	s.mux.HandleFunc("GET /login/totp", s.withStage(account.StageTOTP, s.totpPage))
	s.mux.HandleFunc("POST /login/totp", s.withStage(account.StageTOTP, s.totpPost))
	s.mux.HandleFunc("GET /account/totp", s.withStage(account.StageEnrol, s.enrolPage))
	s.mux.HandleFunc("POST /account/totp", s.withStage(account.StageEnrol, s.enrolPost))
	s.mux.HandleFunc("POST /logout", s.withAnySession(s.logout))
	s.mux.HandleFunc("POST /lang", s.setLang)
	s.mux.HandleFunc("GET /quarantine", s.withSession(s.quarantineList))
	s.mux.HandleFunc("GET /quarantine/{id}", s.withSession(s.quarantineShow))
	s.mux.HandleFunc("POST /quarantine/{id}/release", s.withSession(s.quarantineRelease))
	s.mux.HandleFunc("POST /quarantine/{id}/delete", s.withSession(s.quarantineDelete))
	s.mux.HandleFunc("GET /history", s.withSession(s.historyList))
	s.mux.HandleFunc("GET /history/{id}", s.withSession(s.historyShow))
	s.mux.HandleFunc("GET /senders", s.withSession(s.sendersPage))
	s.mux.HandleFunc("POST /senders", s.withSession(s.sendersAdd))
	s.mux.HandleFunc("POST /senders/{rule}/remove", s.withSession(s.sendersRemove))
	s.mux.HandleFunc("GET /account", s.withSession(s.accountPage))
	s.mux.HandleFunc("POST /account/password", s.withSession(s.accountPassword))
	s.mux.HandleFunc("POST /account/digest", s.withSession(s.accountDigest))
	s.mux.HandleFunc("GET /spam", s.withSession(s.spamPage))
	s.mux.HandleFunc("POST /spam", s.withSession(s.spamPost))
	s.mux.HandleFunc("GET /domains", s.withSession(s.domainsPage))
	s.mux.HandleFunc("GET /domains/{domain}", s.withSession(s.domainPage))
	s.mux.HandleFunc("POST /domains/{domain}/policy", s.withSession(s.domainPolicy))
	s.mux.HandleFunc("POST /domains/{domain}/options", s.withSession(s.domainOptions))
	s.mux.HandleFunc("POST /domains/{domain}/users", s.withSession(s.userAdd))
	s.mux.HandleFunc("POST /domains/{domain}/users/remove", s.withSession(s.userRemove))
	s.mux.HandleFunc("POST /domains/{domain}/users/password", s.withSession(s.userPassword))
	s.mux.HandleFunc("POST /domains/{domain}/aliases", s.withSession(s.aliasAdd))
	s.mux.HandleFunc("POST /domains/{domain}/aliases/remove", s.withSession(s.aliasRemove))
	s.mux.HandleFunc("POST /domains/{domain}/check", s.withSession(s.domainCheck))
	s.mux.HandleFunc("POST /domains/{domain}/mirror", s.withSession(s.domainMirror))
	s.mux.HandleFunc("GET /domains/{domain}/requests", s.withSession(s.requestsPage))
	s.mux.HandleFunc("POST /domains/{domain}/requests/{req}/approve", s.withSession(s.requestApprove))
	s.mux.HandleFunc("POST /domains/{domain}/requests/{req}/deny", s.withSession(s.requestDeny))
	s.mux.HandleFunc("POST /domains/{domain}/relaynets", s.withSession(s.relayNetAdd))
	s.mux.HandleFunc("POST /domains/{domain}/relaynets/remove", s.withSession(s.relayNetRemove))
	s.mux.HandleFunc("GET /audit", s.withSession(s.auditPage))
	s.mux.HandleFunc("GET /d/{token}", s.digestPage)
	s.mux.HandleFunc("GET /d/{token}/{id}", s.digestPage)
	s.mux.HandleFunc("POST /d/{token}/{id}/release", s.digestRelease)
}

// securityHeaders sets the headers every answer carries. The CSP allows
// nothing but this origin's stylesheet and data: images (the TOTP QR
// code): no script at all, no inline style, no framing, forms only to
// this origin.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the client's IP address for rate limits and the audit
// log. A loopback peer is a reverse proxy on this host (the only way to
// reach a loopback listener from outside): then the last address it
// appended to X-Forwarded-For is the client.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if (err == nil && ip.IsLoopback()) || host == "" || host == "@" {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return a.Unmap().String()
			}
		}
	}
	if err == nil {
		return ip.Unmap().String()
	}
	return host
}
