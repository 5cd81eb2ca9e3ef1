package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/web"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

// webService is the portal's HTTP(S) listener and its housekeeping.
type webService struct {
	srv  *http.Server
	cert atomic.Pointer[tls.Certificate]
	stop context.CancelFunc
	done chan struct{}
	log  *slog.Logger
}

// StartWeb serves the self-service portal when [web] listen is set (and
// does nothing otherwise), with its housekeeping: dead sessions removed
// and digests sent every few minutes.
func StartWeb(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	cfg := a.Config.Web
	if cfg.Listen == "" {
		return &webService{}, nil
	}
	h, accounts, err := newPortal(ctx, a, log)
	if err != nil {
		return nil, err
	}
	dg, err := newDigestJob(ctx, a, accounts)
	if err != nil {
		return nil, err
	}
	ws := &webService{log: log, done: make(chan struct{})}
	ws.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if cfg.TLS() {
		if err := ws.loadCert(cfg); err != nil {
			return nil, err
		}
		ws.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return ws.cert.Load(), nil }}
	}
	network, address, err := config.ParseListen(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("web.listen: %w", err)
	}
	if network == "unix" {
		os.Remove(address)
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("web: listen %s: %w", cfg.Listen, err)
	}
	go func() {
		var err error
		if cfg.TLS() {
			err = ws.srv.ServeTLS(ln, "", "")
		} else {
			err = ws.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("web portal stopped", "err", err)
		}
	}()
	jobCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ws.stop = stop
	go ws.housekeeping(jobCtx, a, accounts, dg)
	log.Info("web portal listening", "addr", ln.Addr().String(), "tls", cfg.TLS(), "base_url", cfg.BaseURL)
	return ws, nil
}

// newPortal opens the stores and builds the portal's handler.
func newPortal(ctx context.Context, a *App, log *slog.Logger) (http.Handler, *account.Store, error) {
	accounts, err := account.Open(ctx, a.DB)
	if err != nil {
		return nil, nil, err
	}
	al, err := audit.Open(ctx, a.DB)
	if err != nil {
		return nil, nil, err
	}
	q, err := a.Quarantine(ctx)
	if err != nil {
		return nil, nil, err
	}
	var hist *history.Store // the history pages only when [history] records it
	if a.Config.History.Enabled {
		if hist, err = a.History(ctx); err != nil {
			return nil, nil, err
		}
	}
	reqs, err := releasereq.Open(ctx, a.DB)
	if err != nil {
		return nil, nil, err
	}
	srv, err := web.New(web.Deps{Accounts: accounts, Audit: al, Quarantine: q, History: hist, Settings: a.Settings, Requests: reqs,
		Defaults: BasePolicy(a.Config.Defaults), Release: webRelease(a, q), Limits: Limits(a.Config.Limits).Walk(), Log: log, Resolver: net.DefaultResolver},
		web.Options{BaseURL: a.Config.Web.BaseURL, Issuer: "mailtower " + Hostname(a.Config),
			MXNames:  append(append([]string{}, a.Config.MXNames...), Hostname(a.Config)),
			Sessions: account.SessionLimits{Idle: time.Duration(a.Config.Web.SessionIdle), Max: time.Duration(a.Config.Web.SessionMax)}})
	if err != nil {
		return nil, nil, err
	}
	return srv.Handler(), accounts, nil
}

// webRelease releases for the portal exactly as `quarantine release`
// does (Releaser: rescan, re-injection, remember and learn), with the
// configuration of the moment (a reload replaces a.Config).
func webRelease(a *App, q *quarantine.Store) web.ReleaseFunc {
	return func(ctx context.Context, req web.ReleaseRequest) (web.ReleaseResult, error) {
		r, err := NewReleaser(ctx, a, q)
		if err != nil {
			return web.ReleaseResult{}, err
		}
		out, err := r.Release(ctx, req.ID, quarantine.ReleaseOptions{Recipients: req.Recipients, By: req.By, Force: req.Force},
			req.Remember)
		return web.ReleaseResult{Released: out.Released, Remembered: out.Remembered}, err
	}
}

// loadCert reads [web] tls_cert and tls_key (again at every reload, so a
// renewed certificate is used without a restart).
func (ws *webService) loadCert(cfg config.Web) error {
	c, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return fmt.Errorf("web: tls_cert/tls_key: %w", err)
	}
	ws.cert.Store(&c)
	return nil
}

// digestJob is the digest sender with its metrics.
type digestJob struct {
	d *web.Digester
	m *metrics.Digests
}

// NewDigester builds the digest sender: digests go through the
// re-injection listener, like released mail and virus notices. It sends
// at [web] digest_hour; set Hour to 0 to send what is due now.
func NewDigester(ctx context.Context, a *App, accounts *account.Store) (*web.Digester, error) {
	q, err := a.Quarantine(ctx)
	if err != nil {
		return nil, err
	}
	return &web.Digester{Accounts: accounts, Quarantine: q, Sender: ReinjectClient(a.Config),
		BaseURL: a.Config.Web.BaseURL, Hostname: Hostname(a.Config), Holder: fmt.Sprintf("%s:%d", Hostname(a.Config), os.Getpid()),
		Hour: a.Config.Web.DigestHour, Now: time.Now}, nil
}

// newDigestJob is the portal's digest sender with its metrics.
func newDigestJob(ctx context.Context, a *App, accounts *account.Store) (*digestJob, error) {
	d, err := NewDigester(ctx, a, accounts)
	if err != nil {
		return nil, err
	}
	m, err := a.Metrics.NewDigests()
	if err != nil {
		return nil, fmt.Errorf("web: digest metrics: %w", err)
	}
	return &digestJob{d: d, m: m}, nil
}

// housekeeping removes dead sessions, old failure counts and expired
// tokens and sends the digests that are due, every few minutes.
func (ws *webService) housekeeping(ctx context.Context, a *App, accounts *account.Store, dg *digestJob) {
	defer close(ws.done)
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		lim := account.SessionLimits{Idle: time.Duration(a.Config.Web.SessionIdle), Max: time.Duration(a.Config.Web.SessionMax)}
		if err := accounts.PurgeSessions(ctx, lim); err != nil && ctx.Err() == nil {
			ws.log.Warn("web: purge sessions", "err", err)
		}
		n, err := dg.d.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		dg.m.Run(n, err)
		if err != nil {
			ws.log.Error("web: digests failed; retried at the next run", "err", err, "sent", n)
		} else if n > 0 {
			ws.log.Info("web: digests sent", "sent", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reload re-reads the TLS certificate; the listen address changes on restart.
func (ws *webService) Reload(_ context.Context, a *App) error {
	if ws.srv == nil || !a.Config.Web.TLS() || ws.cert.Load() == nil {
		return nil
	}
	return ws.loadCert(a.Config.Web)
}

// Shutdown stops the listener and the housekeeping.
func (ws *webService) Shutdown(ctx context.Context) error {
	if ws.srv == nil {
		return nil
	}
	ws.stop()
	<-ws.done
	return ws.srv.Shutdown(ctx)
}
