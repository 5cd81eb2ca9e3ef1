package greylist

import (
	"context"
	"time"
)

// Run writes changed state to the store every FlushInterval (sooner when
// many changes wait) and keeps the key filter of stored state built,
// until ctx ends; then it writes what is left.
func (g *Greylister) Run(ctx context.Context) {
	t := time.NewTicker(g.cfg.FlushInterval)
	defer t.Stop()
	rebuilt := make(chan error, 1)
	rebuilding := false
	var retryAt time.Time
	for {
		if !rebuilding && time.Now().After(retryAt) && g.filterDue() {
			rebuilding = true
			go func() { rebuilt <- g.rebuildFilter(ctx) }()
		}
		select {
		case <-ctx.Done():
			if rebuilding {
				<-rebuilt
			}
			// A fresh context: the final flush must not be cancelled with ctx.
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := g.Flush(fctx); err != nil {
				g.cfg.Logger.Error("greylist final flush failed", "err", err)
			}
			cancel()
			return
		case err := <-rebuilt:
			rebuilding = false
			if err != nil {
				g.cfg.Logger.Warn("greylist key filter not built; look-ups go to the database", "err", err)
				retryAt = time.Now().Add(rebuildBackoff)
			}
			continue
		case <-t.C:
		case <-g.kick:
		}
		if err := g.Flush(ctx); err != nil {
			g.cfg.Logger.Warn("greylist flush failed; will retry", "err", err)
		}
	}
}

// Flush writes every unsaved change now, in one transaction. On failure
// the changes stay queued for the next flush.
func (g *Greylister) Flush(ctx context.Context) error {
	g.flushMu.Lock()
	defer g.flushMu.Unlock()
	g.mu.Lock()
	if len(g.dirtyT) == 0 && len(g.dirtyC) == 0 {
		g.mu.Unlock()
		return nil
	}
	g.flushT, g.flushC = g.dirtyT, g.dirtyC
	g.dirtyT, g.dirtyC, g.spareT, g.spareC = g.spareT, g.spareC, nil, nil
	if g.dirtyT == nil {
		g.dirtyT, g.dirtyC = map[string]Triplet{}, map[string]Client{}
	}
	ts := make([]Triplet, 0, len(g.flushT))
	for _, t := range g.flushT {
		ts = append(ts, t)
	}
	cs := make([]Client, 0, len(g.flushC))
	for _, c := range g.flushC {
		cs = append(cs, c)
	}
	g.mu.Unlock()

	err := g.store.Save(ctx, ts, cs)

	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		// Requeue what was not changed again meanwhile.
		for k, t := range g.flushT {
			if _, newer := g.dirtyT[k]; !newer {
				g.dirtyT[k] = t
			}
		}
		for k, c := range g.flushC {
			if _, newer := g.dirtyC[k]; !newer {
				g.dirtyC[k] = c
			}
		}
	}
	// The written maps, emptied, become the next dirty maps: no
	// re-growing them from nothing on every flush.
	clear(g.flushT)
	clear(g.flushC)
	g.spareT, g.spareC = g.flushT, g.flushC
	g.flushT, g.flushC = nil, nil
	return err
}

// Purge writes pending changes, then deletes expired state from the
// store: pending triplets older than the retry window, passed triplets
// and client networks not seen within the remember period. The daemon's
// housekeeping calls it every few minutes (mailtower serve, mailtower
// policyd); it is safe to call concurrently with Check.
func (g *Greylister) Purge(ctx context.Context, now time.Time) (int64, error) {
	if err := g.Flush(ctx); err != nil {
		return 0, err
	}
	g.mu.Lock()
	e := Expiry{RetryWindow: g.cfg.RetryWindow, Remember: g.cfg.Remember}
	g.mu.Unlock()
	n, err := g.store.Purge(ctx, now, e)
	g.mu.Lock()
	g.purged += n
	g.mu.Unlock()
	return n, err
}

// Now returns the Greylister's clock reading (for callers that purge).
func (g *Greylister) Now() time.Time { return g.cfg.Now() }
