package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/internal/version"
	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/quarantine"
)

// NewMetrics creates the daemon's registry and collectors. The registry is
// local to the process: nothing registers itself behind our back.
func NewMetrics() (*metrics.Metrics, error) {
	v := version.Get()
	return metrics.New(prometheus.NewRegistry(), metrics.Build{Version: v.Version, Commit: v.Commit, GoVersion: v.Go})
}

// metricsService serves /metrics on [metrics] listen.
type metricsService struct {
	srv  *http.Server
	addr net.Addr
	log  *slog.Logger
}

// StartMetrics registers the size gauges and starts the HTTP
// listener; with [metrics] listen empty it does nothing.
func StartMetrics(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	if a.Config.Metrics.Listen == "" {
		return &metricsService{}, nil
	}
	q, err := quarantine.Open(ctx, a.DB, a.Config.DataDir, Retention(a.Config.Defaults))
	if err != nil {
		return nil, err
	}
	gl, err := greylist.NewSQLStore(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	ms, err := mirror.Open(ctx, a.DB, a.Config.DataDir)
	if err != nil {
		return nil, err
	}
	// Scrapes are typically every 15-60 s; a 10 s cache bounds the cost
	// of several Prometheus servers to one COUNT per gauge.
	if err := a.Metrics.AddSizes(10*time.Second, 5*time.Second, metrics.Size{
		Name: "quarantine_messages", Label: "category", Read: q.Held,
		Help: "Recipient copies currently held in quarantine, by category.",
	}, metrics.Size{
		Name: "greylist_triplets", Label: "state", Read: gl.Count,
		Help: "Greylisting triplets stored, pending (no successful retry yet) or passed (remembered).",
	}, metrics.Size{
		Name: "mirror_bytes", Label: "domain", Read: ms.Bytes,
		Help: "Disk used by the encrypted mirror copies (mailtower mirror stats), by domain.",
	}); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	network, address, err := config.ParseListen(a.Config.Metrics.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen %s: %w", a.Config.Metrics.Listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "mailtower: metrics at /metrics")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return &metricsService{srv: srv, addr: ln.Addr(), log: log}, nil
}

// Reload keeps the listener: [metrics] listen changes on restart.
func (m *metricsService) Reload(context.Context, *App) error { return nil }

// Shutdown stops the HTTP listener.
func (m *metricsService) Shutdown(ctx context.Context) error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Shutdown(ctx)
}
