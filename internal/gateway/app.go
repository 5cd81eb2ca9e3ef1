// Package gateway is mailtower's composition root: the one package that
// reads the configuration and builds the parts from it. It opens the
// database and stores (App), builds the scanning engines, starts the
// daemons `serve` runs (milter with its notifier, policy daemon with its
// socketmap, quarantine purge, metrics, the web portal with its digests),
// each from its own section, and releases quarantined mail (Releaser) for
// the CLI and the portal alike.
// The packages it builds take their own option structs and never read
// the configuration themselves.
package gateway

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// The settings cache policy of both front-ends (milter and policy
// daemon): resolved recipients are kept in one LRU of resolverSize
// entries, emptied when the settings generation changes, and the
// generation is read at most once per generationTTL, so an admin's
// change is live within it.
const (
	resolverSize  = 50_000
	generationTTL = time.Second
)

// App is what commands and daemons share: the configuration, the
// database and the settings store, opened once.
type App struct {
	Config   *config.Config
	DB       *store.DB
	Settings *settings.SQLStore
	// Metrics is set by Run for the daemons; nil (no metrics) for other
	// commands.
	Metrics *metrics.Metrics

	// now is the generation cache's clock (tests); nil is time.Now.
	now func() time.Time

	hist     historyParts
	once     sync.Once
	gen      *policyd.Generation
	resolver *settings.Resolver
	err      error

	heldOnce sync.Once
	held     *policyd.SendLimiter
}

// Open opens cfg's database and settings store.
func Open(ctx context.Context, cfg *config.Config) (*App, error) {
	db, err := store.OpenDatabase(ctx, cfg.DataDir, cfg.Database)
	if err != nil {
		return nil, err
	}
	st, err := settings.NewSQLStore(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &App{Config: cfg, DB: db, Settings: st}, nil
}

// Close writes the history rows still queued and closes the database.
func (a *App) Close() error {
	a.closeHistory()
	return a.DB.Close()
}

// Resolver returns the one settings resolver both front-ends use, with
// its cached settings generation (the cache policy above).
func (a *App) Resolver() (*settings.Resolver, *policyd.Generation, error) {
	a.once.Do(func() {
		a.gen = policyd.NewGeneration(a.Settings.Generation, generationTTL, a.now)
		a.resolver, a.err = settings.NewResolver(cachedGeneration{Store: a.Settings, gen: a.gen}, a.Settings,
			BasePolicy(a.Config.Defaults), resolverSize)
	})
	return a.resolver, a.gen, a.err
}

// HeldSpam is the one count of authenticated users' messages held as
// outbound spam in the last hour: the milter adds to it, the policy
// daemon defers a user once [sasl] held_per_hour is reached. Nil (no
// deferral) when held_per_hour is 0; the limit changes on restart.
func (a *App) HeldSpam() *policyd.SendLimiter {
	a.heldOnce.Do(func() { a.held = policyd.NewSendLimiter(a.Config.SASL.HeldPerHour, time.Hour, a.now) })
	return a.held
}

// setConfig installs a reloaded configuration and its global policy.
func (a *App) setConfig(cfg *config.Config) {
	a.Config = cfg
	if a.resolver != nil {
		a.resolver.SetBase(BasePolicy(cfg.Defaults))
	}
}

// cachedGeneration is the settings store with the generation read
// through the cache, so the resolver does not query it per recipient.
type cachedGeneration struct {
	settings.Store
	gen *policyd.Generation
}

func (s cachedGeneration) Generation(ctx context.Context) (int64, error) { return s.gen.Get(ctx) }

// BasePolicy turns the [defaults] section into the global policy.
func BasePolicy(d config.Defaults) settings.Policy {
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

// Retention turns the [defaults] retention days into a quarantine.Retention.
func Retention(d config.Defaults) quarantine.Retention {
	day := 24 * time.Hour
	return quarantine.Retention{Virus: time.Duration(d.VirusDays) * day,
		Spam: time.Duration(d.SpamDays) * day, Content: time.Duration(d.ContentDays) * day}
}

// Quarantine opens the quarantine with the configured directory and
// default retention; what it cannot decode is counted in a.Metrics, and
// its releases are linked in the mail history.
func (a *App) Quarantine(ctx context.Context) (*quarantine.Store, error) {
	q, err := quarantine.Open(ctx, a.DB, a.Config.DataDir, Retention(a.Config.Defaults))
	if err != nil {
		return nil, err
	}
	q.SetReporting(nil, a.Metrics)
	a.linkReleases(ctx, q)
	return q, nil
}

// Hostname is the configured gateway name or the system host name.
func Hostname(cfg *config.Config) string {
	if cfg.Hostname != "" {
		return cfg.Hostname
	}
	h, _ := os.Hostname()
	return h
}

// ReinjectClient talks to Postfix's listener without milter.
func ReinjectClient(cfg *config.Config) *reinject.Client {
	return &reinject.Client{Addr: cfg.Reinject.SMTP, Hostname: Hostname(cfg)}
}

// GreylistRules turns [greylist] into the greylister's rules.
func GreylistRules(g config.Greylist) greylist.Rules {
	return greylist.Rules{Delay: g.Delay.D(), RetryWindow: g.RetryWindow.D(), Remember: g.Remember.D(), AutoAllow: g.AutoAllow}
}
