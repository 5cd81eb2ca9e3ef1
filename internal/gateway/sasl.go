package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/saslauth"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
)

// saslService is the authentication server of the submission ports.
type saslService struct {
	stop context.CancelFunc
	done chan error
}

// StartSASL starts the authentication server on [sasl] listen; with it
// empty it does nothing.
func StartSASL(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	c := a.Config.SASL
	if c.Listen == "" {
		return &saslService{}, nil
	}
	acc, err := account.Open(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	events, err := a.Metrics.NewSASL()
	if err != nil {
		return nil, fmt.Errorf("sasl metrics: %w", err)
	}
	opts := saslauth.Options{Verifier: Users{Accounts: acc, Settings: a.Settings}, MaxHashing: c.MaxHashing,
		Limits: saslauth.DefaultLimits(c.MaxDelay.D()), Logger: log.With("service", "sasl")}
	if events != nil {
		opts.Events = events
	}
	srv, err := saslauth.New(opts)
	if err != nil {
		return nil, err
	}
	// The same listener rules as the policy daemon's: a stale unix
	// socket is replaced, the socket is made reachable for Postfix.
	ln, err := policyd.Listen(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("sasl: %w", err)
	}
	sctx, stop := context.WithCancel(context.Background())
	s := &saslService{stop: stop, done: make(chan error, 1)}
	go func() {
		s.done <- policyd.ServeConns(sctx, ln, "sasl", a.Config.Policyd.MaxConnections, log, srv.ServeConn)
	}()
	log.Info("sasl listening", "addr", ln.Addr().String())
	return s, nil
}

// Reload keeps the listener and limits: [sasl] changes on restart.
func (s *saslService) Reload(context.Context, *App) error { return nil }

// Shutdown closes the listener and the connections.
func (s *saslService) Shutdown(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sasl shutdown: %w", ctx.Err())
	}
}

// Users checks SMTP logins against mailtower's users: the login is a
// user's address, the password the one `mailtower user passwd` set (the
// portal's, an argon2id hash in the account store). Admin logins that
// are no user address cannot send mail.
type Users struct {
	Accounts *account.Store
	Settings settings.Store
}

// Verify implements saslauth.Verifier.
func (u Users) Verify(ctx context.Context, login, password string) (string, error) {
	addr, _, err := settings.NormalizeAddress(login)
	if err != nil {
		addr = "" // not an address: the store hashes its dummy, so the answer takes as long
	}
	if err := u.Accounts.CheckPassword(ctx, addr, password); err != nil {
		if errors.Is(err, account.ErrBadLogin) {
			return "", saslauth.ErrBadLogin
		}
		return "", err
	}
	if _, err := u.Settings.User(ctx, addr); err != nil {
		if errors.Is(err, settings.ErrNotFound) {
			return "", saslauth.ErrBadLogin
		}
		return "", err
	}
	return addr, nil
}
