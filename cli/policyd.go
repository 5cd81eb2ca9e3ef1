package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/store"
)

func newPolicydCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "policyd",
		Short: "Run only the Postfix policy daemon and the socketmap tables",
		Long: "Answer Postfix's check_policy_service requests at RCPT time ([policyd] listen) and its\n" +
			"socketmap look-ups for relay_domains, transport_maps and relay_recipient_maps\n" +
			"([policyd] socketmap). SIGHUP reloads the configuration; SIGTERM answers the requests\n" +
			"in flight, writes the greylist state and exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDaemon(cmd.Context(), g, "policyd", startPolicydService)
		},
	}
}

// policydService is the policy daemon and socketmap inside the daemon;
// it also purges expired greylist state every few minutes.
type policydService struct {
	d    *policyd.Daemon
	stop context.CancelFunc
	done chan error
}

func startPolicydService(ctx context.Context, a *app, log *slog.Logger) (service, error) {
	d, err := policyd.New(ctx, policyd.Options{Config: a.cfg, DB: a.db, Settings: a.settings,
		Base: basePolicy(a.cfg.Defaults), Logger: log.With("service", "policyd"), Decided: a.metrics.PolicyDecision,
		Panicked: a.metrics.Panic})
	if err != nil {
		return nil, err
	}
	// Listen here, so that a taken port fails the start, not later.
	pl, err := policyd.Listen(a.cfg.Policyd.Listen)
	if err != nil {
		return nil, err
	}
	var sl net.Listener
	if a.cfg.Policyd.Socketmap != "" {
		if sl, err = policyd.Listen(a.cfg.Policyd.Socketmap); err != nil {
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

// openStore opens the app and one component's store on its database.
func openStore[T any](g *globals, cmd *cobra.Command, open func(context.Context, *store.DB) (T, error)) (*app, T, error) {
	var zero T
	a, err := g.openApp(cmd.Context())
	if err != nil {
		return nil, zero, err
	}
	s, err := open(cmd.Context(), a.db)
	if err != nil {
		a.Close()
		return nil, zero, err
	}
	return a, s, nil
}

func (s *policydService) Reload(_ context.Context, a *app) error {
	s.d.Reload(a.cfg, basePolicy(a.cfg.Defaults))
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
