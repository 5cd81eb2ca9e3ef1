package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/store"
)

// purgeEvery is how often `serve` purges the quarantine; the first run is
// purgeFirst after start, so that a restart loop does not purge in a loop.
const (
	purgeEvery = time.Hour
	purgeFirst = 2 * time.Minute
)

// purgeService runs the quarantine retention purge inside the daemon. It
// works in small batches with pauses (quarantine.PurgeOptions), so the
// milter's quarantine writes keep getting the database between them. The
// mirror's expired copies go in the same run (mirror.Store.Purge).
type purgeService struct {
	mu     sync.Mutex
	store  *quarantine.Store
	mirror *mirror.Store
	db     *store.DB
	holder string // this gateway in the purge lease
	stop   context.CancelFunc
	done   chan struct{}
	log    *slog.Logger
}

// StartPurge starts the hourly quarantine retention purge.
func StartPurge(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	q, err := quarantine.Open(ctx, a.DB, a.Config.DataDir, Retention(a.Config.Defaults))
	if err != nil {
		return nil, err
	}
	ms, err := mirror.Open(ctx, a.DB, a.Config.DataDir)
	if err != nil {
		return nil, err
	}
	pctx, stop := context.WithCancel(context.Background())
	p := &purgeService{store: q, mirror: ms, db: a.DB, holder: store.Holder(), stop: stop, done: make(chan struct{}), log: log.With("service", "purge")}
	go p.run(pctx)
	return p, nil
}

func (p *purgeService) run(ctx context.Context) {
	defer close(p.done)
	runEvery(ctx, purgeFirst, purgeEvery, func() {
		p.mu.Lock()
		q := p.store
		p.mu.Unlock()
		if p.db.IsPostgres() {
			// One gateway of those sharing the database purges per hour.
			ok, err := p.db.Lease(ctx, "purge", p.holder, time.Now(), purgeEvery-time.Minute)
			if err != nil || !ok {
				if err != nil {
					p.log.Warn("quarantine purge: lease", "err", err)
				}
				return
			}
		}
		rep, err := q.Purge(ctx, quarantine.PurgeOptions{Log: p.log})
		if err != nil && ctx.Err() == nil {
			p.log.Error("quarantine purge failed; retrying next hour", "err", err)
		}
		for _, m := range rep.Missing {
			p.log.Warn("quarantine message file missing", "quarantine_id", m.ID, "path", m.Path)
		}
		for _, it := range rep.Stuck {
			p.log.Warn("quarantine release did not finish; run `mailtower quarantine release` again",
				"quarantine_id", it.ID, "to", it.Recipient)
		}
		p.purgeMirror(ctx)
	})
}

// runEvery calls fn first after first, then every period, until ctx ends.
func runEvery(ctx context.Context, first, period time.Duration, fn func()) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
		t.Reset(period)
	}
}

// purgeMirror removes the mirror copies whose days have passed.
func (p *purgeService) purgeMirror(ctx context.Context) {
	rep, err := p.mirror.Purge(ctx)
	if err != nil && ctx.Err() == nil {
		p.log.Error("mirror purge failed; retrying next hour", "err", err)
	}
	if rep.Entries > 0 {
		p.log.Info("mirror purged", "entries", rep.Entries, "bytes", rep.Bytes)
	}
	for _, id := range rep.Missing {
		p.log.Warn("mirror file was already missing", "mirror_id", id)
	}
}

// Reload picks up new retention defaults.
func (p *purgeService) Reload(ctx context.Context, a *App) error {
	q, err := quarantine.Open(ctx, a.DB, a.Config.DataDir, Retention(a.Config.Defaults))
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.store = q
	p.mu.Unlock()
	return nil
}

// Shutdown stops between two batches.
func (p *purgeService) Shutdown(ctx context.Context) error {
	p.stop()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
