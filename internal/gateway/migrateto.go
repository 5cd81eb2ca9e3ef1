package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/netaddr"
	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/notify"
	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/migrateto"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

// MigrateOptions are `db migrate-to`'s choices.
type MigrateOptions struct {
	// Force copies into a target that already holds rows, replacing the
	// rows of every table copied.
	Force bool
	// Progress is called after each table (migrateto.Options).
	Progress func(migrateto.TableCount)
}

// MigrateTo copies the state of the stopped SQLite gateway cfg describes
// into the PostgreSQL database at url: the schema is made by every
// component's own migrations (on the source too, so that both are at the
// same version), then migrateto copies the rows and the quarantine moves
// its message files into the database.
func MigrateTo(ctx context.Context, cfg *config.Config, url string, opt MigrateOptions) (*migrateto.Report, error) {
	if cfg.Database != "" {
		return nil, fmt.Errorf("migrate-to: this gateway's database is already %s: migrate-to copies from the SQLite file in data_dir", cfg.Database)
	}
	if !store.IsPostgresURL(url) {
		return nil, fmt.Errorf("migrate-to: %q: want a postgres:// URL", url)
	}
	if err := checkStopped(cfg); err != nil {
		return nil, err
	}
	src, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, url)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	return Migrate(ctx, src, dst, cfg.DataDir, opt)
}

// Migrate is MigrateTo on open databases (tests).
func Migrate(ctx context.Context, src, dst *store.DB, dataDir string, opt MigrateOptions) (*migrateto.Report, error) {
	if !opt.Force {
		if err := migrateto.CheckEmpty(ctx, dst); err != nil {
			return nil, err
		}
	}
	if err := MigrateAll(ctx, src, dataDir); err != nil {
		return nil, fmt.Errorf("migrate-to: bring the SQLite schema up to date: %w", err)
	}
	if err := MigrateAll(ctx, dst, dataDir); err != nil {
		return nil, fmt.Errorf("migrate-to: create the PostgreSQL schema: %w", err)
	}
	if err := sameComponents(ctx, src, dst); err != nil {
		return nil, err
	}
	return migrateto.Copy(ctx, src, dst, migrateto.Options{
		After:    []migrateto.Hook{quarantine.ImportBodies(dataDir)},
		Progress: opt.Progress,
	})
}

// MigrateAll applies every component's migrations to db: each store is
// opened once, as the daemons and commands open them.
func MigrateAll(ctx context.Context, db *store.DB, dataDir string) error {
	steps := []func() error{
		func() error { _, err := settings.NewSQLStore(ctx, db); return err },
		func() error {
			_, err := quarantine.Open(ctx, db, dataDir, Retention(config.Default().Defaults))
			return err
		},
		func() error { _, err := greylist.NewSQLStore(ctx, db); return err },
		func() error { _, err := history.Open(ctx, db); return err },
		func() error { _, err := bayes.Open(ctx, db, nil); return err },
		func() error { _, err := notify.New(ctx, db, nil, "", nil); return err },
		func() error { _, err := account.Open(ctx, db); return err },
		func() error { _, err := audit.Open(ctx, db); return err },
		func() error { _, err := releasereq.Open(ctx, db); return err },
		func() error { _, err := mirror.Open(ctx, db, dataDir); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// sameComponents checks that every component the SQLite database knows
// has its schema on the target too: a component missing from MigrateAll
// would otherwise fail later as "no PostgreSQL counterpart", less clearly.
func sameComponents(ctx context.Context, src, dst *store.DB) error {
	have, err := components(ctx, dst)
	if err != nil {
		return err
	}
	want, err := components(ctx, src)
	if err != nil {
		return err
	}
	for c := range want {
		if !have[c] {
			return fmt.Errorf("migrate-to: the SQLite database has tables of component %q, which migrate-to does not create on PostgreSQL (gateway.MigrateAll lacks it)", c)
		}
	}
	return nil
}

func components(ctx context.Context, db *store.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT component FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate-to: components of %s: %w", db.Path, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("migrate-to: components of %s: %w", db.Path, err)
		}
		out[c] = true
	}
	return out, rows.Err()
}

// ErrRunning is returned when the gateway still answers on its
// listeners: it would go on writing to the SQLite file during the copy.
var ErrRunning = errors.New("the gateway is running: stop it (systemctl stop mailtower) before migrate-to")

// checkStopped fails when something answers on the milter's or the
// policy daemon's listener. There is no lock file to look at, and the
// leases of a stopped gateway may not have run out yet.
func checkStopped(cfg *config.Config) error {
	type addr struct{ what, network, address string }
	var addrs []addr
	if n, a, err := netaddr.ParseMilterListen(cfg.Milter.Listen); err == nil {
		addrs = append(addrs, addr{"milter", n, a})
	}
	if n, a, err := netaddr.ParseListen(cfg.Policyd.Listen); err == nil {
		addrs = append(addrs, addr{"policy daemon", n, a})
	}
	for _, a := range addrs {
		c, err := net.DialTimeout(a.network, a.address, time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("migrate-to: the %s answers on %s: %w", a.what, a.address, ErrRunning)
		}
	}
	return nil
}
