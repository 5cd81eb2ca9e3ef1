package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/policyd"
)

// policydService is the policy daemon and socketmap inside the daemon;
// it also purges expired greylist state every few minutes.
type policydService struct {
	d    *policyd.Daemon
	stop context.CancelFunc
	done chan error
}

// StartPolicyd starts the policy daemon on [policyd] listen and the
// socketmap tables on [policyd] socketmap (when set), sharing the App's
// settings resolver with the milter.
func StartPolicyd(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	res, gen, err := a.Resolver()
	if err != nil {
		return nil, err
	}
	p := a.Config.Policyd
	d, err := policyd.New(ctx, policyd.Options{Listen: p.Listen, Socketmap: p.Socketmap,
		Limits:      policyd.Limits{MaxBytes: int(p.MaxRequest), MaxAttributes: p.MaxAttributes},
		IdleTimeout: p.IdleTimeout.D(), MaxConnections: p.MaxConnections, Greylist: GreylistRules(a.Config.Greylist),
		DB: a.DB, Settings: a.Settings, Base: BasePolicy(a.Config.Defaults), Resolver: res, Generation: gen,
		Logger: log.With("service", "policyd"), Decided: a.Metrics.PolicyDecision, Panicked: a.Metrics.Panic,
		MessagesPerHour: a.Config.SASL.MessagesPerHour, HeldSpam: a.HeldSpam(),
		Refused: countSendLimits(a.Metrics, a.refusalRecorder(ctx, log))})
	if err != nil {
		return nil, err
	}
	// Listen here, so that a taken port fails the start, not later.
	pl, err := policyd.Listen(a.Config.Policyd.Listen)
	if err != nil {
		return nil, err
	}
	var sl net.Listener
	if a.Config.Policyd.Socketmap != "" {
		if sl, err = policyd.Listen(a.Config.Policyd.Socketmap); err != nil {
			pl.Close()
			return nil, err
		}
	}
	sctx, stop := context.WithCancel(context.Background())
	s := &policydService{d: d, stop: stop, done: make(chan error, 1)}
	go func() { s.done <- d.Serve(sctx, pl, sl) }()
	smAddr := "off"
	if sl != nil {
		smAddr = sl.Addr().String()
	}
	log.Info("policyd listening", "policy", pl.Addr().String(), "socketmap", smAddr)
	return s, nil
}

// countSendLimits counts the refusals of the authenticated users'
// sending limits (metrics.SendLimited) and hands every refusal on to next
// (the history; nil = nobody).
func countSendLimits(m *metrics.Metrics, next func(policyd.Request, policyd.Decision)) func(policyd.Request, policyd.Decision) {
	return func(req policyd.Request, dec policyd.Decision) {
		switch dec.Reason {
		case "send-limit":
			m.SendLimited("messages_per_hour")
		case "held-spam":
			m.SendLimited("held_spam")
		}
		if next != nil {
			next(req, dec)
		}
	}
}

func (s *policydService) Reload(_ context.Context, a *App) error {
	s.d.Reload(GreylistRules(a.Config.Greylist), BasePolicy(a.Config.Defaults))
	return nil
}

func (s *policydService) Shutdown(ctx context.Context) error {
	s.stop()
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("policyd shutdown: %w", ctx.Err())
	}
}
