package greylist

import lru "github.com/hashicorp/golang-lru/v2"

// memTriplet and memClient look in memory: cache, then unsaved changes,
// then changes being saved. Callers hold g.mu.
func (g *Greylister) memTriplet(key string) (Triplet, bool) {
	return lookIn(g.triplets, key, g.dirtyT, g.flushT)
}

func (g *Greylister) memClient(net string) (Client, bool) {
	return lookIn(g.clients, net, g.dirtyC, g.flushC)
}

func lookIn[V any](cache *lru.Cache[string, V], key string, pending ...map[string]V) (V, bool) {
	if v, ok := cache.Get(key); ok {
		return v, true
	}
	for _, m := range pending {
		if v, ok := m[key]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

func (g *Greylister) putTriplet(key string, t Triplet) {
	g.triplets.Add(key, t)
	g.dirtyT[key] = t
	g.noteStored(key)
	g.maybeKick()
}

func (g *Greylister) putClient(c Client) {
	g.clients.Add(c.Net, c)
	g.dirtyC[c.Net] = c
	g.noteStored(c.Net)
	g.maybeKick()
}

func (g *Greylister) maybeKick() {
	if len(g.dirtyT)+len(g.dirtyC) >= flushBatch {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
}
