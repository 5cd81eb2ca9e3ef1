package greylist

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Rules are the greylisting rules ([greylist] in the configuration).
type Rules struct {
	// Delay: the first retry at least this long after the first attempt passes.
	Delay time.Duration
	// RetryWindow: a retry later than this after the first attempt starts over.
	RetryWindow time.Duration
	// Remember: a passed triplet (or auto-allowed network) is remembered
	// this long after it was last seen.
	Remember time.Duration
	// AutoAllow: a client network with this many passed triplets skips
	// greylisting; 0 turns auto-allowing off.
	AutoAllow int
}

// Config holds the rules and the tuning of the in-memory layer.
type Config struct {
	Rules
	// CacheSize bounds the triplets and clients kept in memory (each).
	CacheSize int
	// FlushInterval is how often changed state is written to the store in
	// one transaction. A crash loses at most this much greylisting state,
	// which only means some senders are greylisted once more.
	FlushInterval time.Duration
	// RecheckAfter is how often the store's generation is checked for
	// admin edits (allow, clear).
	RecheckAfter time.Duration
	// Shared says other gateways write the same store (PostgreSQL): a
	// key the store does not hold now may be written by another at any
	// moment, so the key filter and the zero-record client cache, which
	// answer "not stored" from memory, are switched off, and every key
	// not in the cache is looked up.
	Shared bool
	// Now is the clock (tests inject one).
	Now func() time.Time
	// Logger receives flush failures.
	Logger *slog.Logger
}

// touchEvery limits how often last_seen of a remembered triplet or an
// auto-allowed client is rewritten: remembering is measured in days.
const touchEvery = time.Hour

// flushBatch starts a flush early when this many changes are waiting.
const flushBatch = 2000

// Result is the outcome of one Check.
type Result struct {
	Pass bool
	// Reason is one of allowed-network, auto-allowed, remembered, passed,
	// new, early-retry.
	Reason string
	// RetryIn is how long until a retry passes (when !Pass).
	RetryIn time.Duration
}

// Greylister decides whether a delivery attempt passes greylisting. It
// keeps recent state in memory and writes changes to its Store behind
// the answer, in batches (FlushInterval); run Run in a goroutine.
type Greylister struct {
	store Store
	cfg   Config

	mu       sync.Mutex
	triplets *lru.Cache[string, Triplet]
	clients  *lru.Cache[string, Client]
	dirtyT   map[string]Triplet
	dirtyC   map[string]Client
	flushT   map[string]Triplet // being written; still authoritative until committed
	flushC   map[string]Client
	allows   []netip.Prefix
	gen      int64
	checked  time.Time
	// stored holds the keys the store may have (nil until first built);
	// building, while not nil, is its successor and gets every new key too.
	// purged counts rows deleted since stored was built.
	stored, building *keyFilter
	purged           int64
	spareT           map[string]Triplet // emptied maps, reused as the next dirty maps
	spareC           map[string]Client

	flushMu sync.Mutex
	kick    chan struct{}
}

// SetRules replaces the rules (configuration reload).
func (g *Greylister) SetRules(r Rules) {
	g.mu.Lock()
	g.cfg.Rules = r
	g.mu.Unlock()
}

// New returns a Greylister over store.
func New(store Store, cfg Config) (*Greylister, error) {
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 100_000
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 250 * time.Millisecond
	}
	if cfg.RecheckAfter <= 0 {
		cfg.RecheckAfter = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ts, err := lru.New[string, Triplet](cfg.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("greylist cache: %w", err)
	}
	cs, err := lru.New[string, Client](cfg.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("greylist cache: %w", err)
	}
	return &Greylister{store: store, cfg: cfg, triplets: ts, clients: cs,
		dirtyT: map[string]Triplet{}, dirtyC: map[string]Client{}, gen: -1, kick: make(chan struct{}, 1)}, nil
}

// Network is the part of a client address that greylisting keys on: the
// /24 of an IPv4 address, the /64 of an IPv6 one, because large senders
// retry from another host of the same pool.
func Network(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p
}

// Check decides one attempt from client with the (already normalised)
// sender to recipient, and records it.
func (g *Greylister) Check(ctx context.Context, client netip.Addr, sender, recipient string) (Result, error) {
	now := g.cfg.Now()
	if err := g.refresh(ctx, now); err != nil {
		return Result{}, err
	}
	if g.allowed(client) {
		return Result{Pass: true, Reason: "allowed-network"}, nil
	}
	net := Network(client).String()
	c, cok, err := g.loadClient(ctx, net)
	if err != nil {
		return Result{}, err
	}
	t := Triplet{Client: net, Sender: sender, Recipient: recipient}
	key := t.Key()
	stored, tok, err := g.loadTriplet(ctx, key, t)
	if err != nil {
		return Result{}, err
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	// Another connection may have changed either while we read the store.
	if m, ok := g.memClient(net); ok {
		c, cok = m, m.Passes > 0
	}
	if m, ok := g.memTriplet(key); ok {
		stored, tok = m, true
	}
	if cok && g.cfg.AutoAllow > 0 && c.Passes >= g.cfg.AutoAllow && now.Sub(c.LastSeen) <= g.cfg.Remember {
		if now.Sub(c.LastSeen) > touchEvery {
			c.LastSeen = now
			g.putClient(c)
		}
		return Result{Pass: true, Reason: "auto-allowed"}, nil
	}
	switch {
	case tok && stored.Passed() && now.Sub(stored.LastSeen) <= g.cfg.Remember:
		if now.Sub(stored.LastSeen) > touchEvery {
			stored.LastSeen = now
			g.putTriplet(key, stored)
		}
		return Result{Pass: true, Reason: "remembered"}, nil
	case tok && !stored.Passed() && now.Sub(stored.FirstSeen) <= g.cfg.RetryWindow:
		stored.Attempts++
		stored.LastSeen = now
		if wait := g.cfg.Delay - now.Sub(stored.FirstSeen); wait > 0 {
			g.putTriplet(key, stored)
			return Result{Reason: "early-retry", RetryIn: wait}, nil
		}
		stored.PassedAt = now
		g.putTriplet(key, stored)
		if !cok {
			c = Client{Net: net}
		}
		c.Passes++
		c.LastSeen = now
		g.putClient(c)
		return Result{Pass: true, Reason: "passed"}, nil
	}
	t.FirstSeen, t.LastSeen, t.Attempts = now, now, 1
	g.putTriplet(key, t)
	return Result{Reason: "new", RetryIn: g.cfg.Delay}, nil
}

// refresh reloads the admin-allowed networks and empties the caches when
// the store's generation changed (an admin ran greylist allow or clear).
func (g *Greylister) refresh(ctx context.Context, now time.Time) error {
	g.mu.Lock()
	due := g.checked.IsZero() || now.Sub(g.checked) >= g.cfg.RecheckAfter || now.Before(g.checked)
	g.mu.Unlock()
	if !due {
		return nil
	}
	gen, err := g.store.Generation(ctx)
	if err != nil {
		return err
	}
	g.mu.Lock()
	same := gen == g.gen
	g.mu.Unlock()
	var nets []netip.Prefix
	if !same {
		allows, err := g.store.Allows(ctx)
		if err != nil {
			return err
		}
		for _, a := range allows {
			nets = append(nets, a.Net)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checked = now
	if !same {
		g.gen, g.allows = gen, nets
		g.triplets.Purge()
		g.clients.Purge()
	}
	return nil
}

func (g *Greylister) allowed(a netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.allows {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// loadClient returns a client network's record. A network the store
// does not know is cached as a zero record (Passes 0): this process is
// the only writer, and an admin's clear empties the cache. Not so on a
// shared store, where another gateway may record passes at any time.
func (g *Greylister) loadClient(ctx context.Context, net string) (Client, bool, error) {
	g.mu.Lock()
	c, ok := g.memClient(net)
	maybe := ok || g.mayBeStored(net)
	g.mu.Unlock()
	if ok {
		return c, c.Passes > 0, nil
	}
	if maybe {
		var err error
		if c, ok, err = g.store.Client(ctx, net); err != nil {
			return Client{}, false, err
		}
	}
	if !ok && !g.cfg.Shared {
		g.mu.Lock()
		if _, known := g.memClient(net); !known {
			g.clients.Add(net, Client{Net: net})
		}
		g.mu.Unlock()
	}
	return c, ok, nil
}

func (g *Greylister) loadTriplet(ctx context.Context, key string, t Triplet) (Triplet, bool, error) {
	g.mu.Lock()
	m, ok := g.memTriplet(key)
	maybe := ok || g.mayBeStored(key)
	g.mu.Unlock()
	if ok || !maybe {
		return m, ok, nil
	}
	return g.store.Triplet(ctx, t.Client, t.Sender, t.Recipient)
}
