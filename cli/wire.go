package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// app is what most commands need: the gateway's App (configuration,
// database, settings store), with the short names the commands use.
type app struct {
	*gateway.App
	cfg      *config.Config
	db       *store.DB
	settings *settings.SQLStore
}

// openApp loads the configuration and opens the database.
func (g *globals) openApp(ctx context.Context) (*app, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	ga, err := gateway.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return appOf(ga), nil
}

// appOf is the commands' view of a gateway App (its configuration of the
// moment).
func appOf(ga *gateway.App) *app {
	return &app{App: ga, cfg: ga.Config, db: ga.DB, settings: ga.Settings}
}

// withApp wraps a command's work: it opens the app once, runs fn and
// closes the app, so commands hold no open/close pair of their own.
func withApp(g *globals, fn func(cmd *cobra.Command, args []string, a *app) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := g.openApp(cmd.Context())
		if err != nil {
			return err
		}
		defer a.Close()
		return fn(cmd, args, a)
	}
}

// withStore is withApp for a command that works on one component's store,
// opened (and migrated) on the app's database.
func withStore[T any](g *globals, open func(context.Context, *store.DB) (T, error),
	fn func(cmd *cobra.Command, args []string, a *app, s T) error) func(*cobra.Command, []string) error {
	return withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
		s, err := open(cmd.Context(), a.db)
		if err != nil {
			return err
		}
		return fn(cmd, args, a, s)
	})
}

// The composition root's helpers under the names the commands use.
const combinerFile = gateway.CombinerFile

func basePolicy(d config.Defaults) settings.Policy    { return gateway.BasePolicy(d) }
func tokenizerLimits(cfg *config.Config) bayes.Limits { return gateway.TokenizerLimits(cfg) }
func walkLimits(l config.Limits) mimewalk.Limits      { return gateway.Limits(l).Walk() }

var retention = gateway.Retention

func openBayes(ctx context.Context, a *app, cfg *config.Config) (*bayes.Store, error) {
	return gateway.OpenBayes(ctx, a.App, cfg)
}

func buildEngines(ctx context.Context, a *app, cfg *config.Config) (inbound, virus []scan.Engine, err error) {
	return gateway.BuildEngines(ctx, a.App, cfg)
}

func usageErr(format string, args ...any) error {
	return &exitCodeError{code: 2, err: fmt.Errorf(format, args...)}
}
