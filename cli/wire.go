package cli

import (
	"context"
	"fmt"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// app is what most commands need: the configuration, the database and the
// settings store. Commands open it, use it, and close it.
type app struct {
	cfg      *config.Config
	db       *store.DB
	settings *settings.SQLStore
	// metrics is set by the daemons; nil (no metrics) for other commands.
	metrics *metrics.Metrics
}

// openApp loads the configuration and opens the database.
func (g *globals) openApp(ctx context.Context) (*app, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := settings.NewSQLStore(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &app{cfg: cfg, db: db, settings: st}, nil
}

func (a *app) Close() error { return a.db.Close() }

// basePolicy turns the [defaults] section into the global policy.
func basePolicy(d config.Defaults) settings.Policy {
	return settings.Policy{
		SpamLevel:     d.SpamLevel,
		SpamAction:    settings.Action(d.SpamAction),
		VirusAction:   settings.Action(d.VirusAction),
		ContentAction: settings.Action(d.ContentAction),
		MaxSize:       int64(d.MaxSize),
		NotifyVirus:   settings.Notify(d.NotifyVirus),
		Admin:         d.Admin,
	}
}

func usageErr(format string, args ...any) error {
	return &exitCodeError{code: 2, err: fmt.Errorf(format, args...)}
}
