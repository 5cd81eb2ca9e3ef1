package greylist

// memTriplet and memClient look in memory: cache, then unsaved changes,
// then changes being saved. Callers hold g.mu.
func (g *Greylister) memTriplet(key string) (Triplet, bool) {
	if t, ok := g.triplets.Get(key); ok {
		return t, true
	}
	if t, ok := g.dirtyT[key]; ok {
		return t, true
	}
	t, ok := g.flushT[key]
	return t, ok
}

func (g *Greylister) memClient(net string) (Client, bool) {
	if c, ok := g.clients.Get(net); ok {
		return c, true
	}
	if c, ok := g.dirtyC[net]; ok {
		return c, true
	}
	c, ok := g.flushC[net]
	return c, ok
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
