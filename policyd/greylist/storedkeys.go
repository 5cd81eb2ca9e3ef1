package greylist

import (
	"context"
	"fmt"
	"time"
)

// The Greylister answers "not in the store" from memory with a Bloom
// filter (keyFilter) over the keys of stored triplets and client
// networks. This relies on the Greylister being the only writer of its
// store, as the zero-record caching in loadClient does: another process
// adding triplets to the same database would have them unseen, and
// those senders greylisted once more (never a wrong pass). Admin edits
// only delete, which leaves harmless false positives. On a database
// shared by several gateways (Config.Shared) the filter is not used.

// minFilterKeys is the smallest filter built: 2 MiB of bits, a million keys.
const minFilterKeys = 1 << 20

// rebuildBackoff is how long a failed filter build waits before the next.
const rebuildBackoff = time.Minute

// mayBeStored reports whether the store may hold key: true until the
// first filter is built, and always on a shared store (Config.Shared).
// Callers hold g.mu.
func (g *Greylister) mayBeStored(key string) bool {
	return g.cfg.Shared || g.stored == nil || g.stored.has(key)
}

// noteStored records that key is going to the store. Callers hold g.mu.
func (g *Greylister) noteStored(key string) {
	if g.stored != nil {
		g.stored.add(key)
	}
	if g.building != nil {
		g.building.add(key)
	}
}

// FilterBuilt reports whether the key filter is in place (Run builds it
// at start): from then on new triplets are decided without a look-up.
func (g *Greylister) FilterBuilt() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stored != nil
}

// filterDue reports whether the key filter should be (re)built: none yet,
// more keys than it was sized for, or many of its keys purged since.
func (g *Greylister) filterDue() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cfg.Shared {
		return false // never built: see mayBeStored
	}
	return g.stored == nil || g.stored.full() || g.purged > max(g.stored.keys.Load()/2, 10_000)
}

// rebuildFilter builds a new key filter from the changes not yet
// written and every key in the store, then puts it in place. Keys added
// meanwhile reach it through noteStored.
func (g *Greylister) rebuildFilter(ctx context.Context) error {
	g.mu.Lock()
	size := minFilterKeys
	if g.stored != nil {
		size = max(size, 2*int(g.stored.keys.Load()-g.purged))
	}
	next := newKeyFilter(size)
	g.building = next
	for _, m := range []map[string]Triplet{g.dirtyT, g.flushT} {
		for k := range m {
			next.add(k)
		}
	}
	for _, m := range []map[string]Client{g.dirtyC, g.flushC} {
		for k := range m {
			next.add(k)
		}
	}
	g.mu.Unlock()

	err := g.store.Keys(ctx, next.add)

	g.mu.Lock()
	defer g.mu.Unlock()
	g.building = nil
	if err != nil {
		return fmt.Errorf("greylist key filter: %w", err)
	}
	g.stored, g.purged = next, 0
	return nil
}
