package policyd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/settings"
)

// Generation caches a settings generation counter for a short time, so
// that the hot path asks the database at most once per ttl instead of at
// every request; an admin's change is seen within ttl.
type Generation struct {
	src func(ctx context.Context) (int64, error)
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	gen     int64
	checked time.Time
}

// NewGeneration wraps src (e.g. settings.SQLStore.Generation).
func NewGeneration(src func(ctx context.Context) (int64, error), ttl time.Duration, now func() time.Time) *Generation {
	if now == nil {
		now = time.Now
	}
	return &Generation{src: src, ttl: ttl, now: now}
}

// Get returns the generation, from cache when checked less than ttl ago.
func (g *Generation) Get(ctx context.Context) (int64, error) {
	now := g.now()
	g.mu.Lock()
	if !g.checked.IsZero() && now.Sub(g.checked) < g.ttl && !now.Before(g.checked) {
		gen := g.gen
		g.mu.Unlock()
		return gen, nil
	}
	g.mu.Unlock()
	gen, err := g.src(ctx)
	if err != nil {
		return 0, fmt.Errorf("settings generation: %w", err)
	}
	g.mu.Lock()
	g.gen, g.checked = gen, now
	g.mu.Unlock()
	return gen, nil
}

// genStore is a settings.Store whose Generation is cached, handed to the
// settings.Resolver so that it does not query the counter per recipient.
type genStore struct {
	settings.Store
	gen *Generation
}

func (s genStore) Generation(ctx context.Context) (int64, error) { return s.gen.Get(ctx) }

// AliasSource says whether an address is an alias.
type AliasSource = policy.AliasSource

// genLRU is an LRU emptied whenever the settings generation changes.
type genLRU[V any] struct {
	gen *Generation

	mu    sync.Mutex
	seen  int64
	cache *lru.Cache[string, V]
}

func newGenLRU[V any](gen *Generation, size int) (*genLRU[V], error) {
	c, err := lru.New[string, V](size)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &genLRU[V]{gen: gen, seen: -1, cache: c}, nil
}

// get returns the cached value for key, or loads and caches it.
func (c *genLRU[V]) get(ctx context.Context, key string, load func() (V, error)) (V, error) {
	var zero V
	gen, err := c.gen.Get(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if gen != c.seen {
		c.cache.Purge()
		c.seen = gen
	}
	c.mu.Unlock()
	if v, ok := c.cache.Get(key); ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return zero, err
	}
	c.cache.Add(key, v)
	return v, nil
}

// peek returns the value cached for key whatever the generation: the
// last known answer, for when the generation cannot be read.
func (c *genLRU[V]) peek(key string) (V, bool) { return c.cache.Peek(key) }

// aliasCache caches "is this address an alias" (policy.AliasSource):
// the policy core asks it for an address and its +ext-less form.
type aliasCache struct {
	src AliasSource
	lru *genLRU[bool]
}

func newAliasCache(src AliasSource, gen *Generation, size int) (*aliasCache, error) {
	c, err := newGenLRU[bool](gen, size)
	if err != nil {
		return nil, fmt.Errorf("alias %w", err)
	}
	return &aliasCache{src: src, lru: c}, nil
}

// NewAliasCache returns src with its answers cached until the settings
// generation changes (at most size addresses): the policy daemon's alias
// cache, for the milter's policy core too.
func NewAliasCache(src AliasSource, gen *Generation, size int) (AliasSource, error) {
	return newAliasCache(src, gen, size)
}

// Exists reports whether addr is an alias, from the cache when it can.
func (c *aliasCache) Exists(ctx context.Context, addr string) (bool, error) {
	if c.src == nil {
		return false, nil
	}
	return c.lru.get(ctx, addr, func() (bool, error) { return c.src.Exists(ctx, addr) })
}

// DomainSource returns one domain or settings.ErrNotFound (settings.Store).
type DomainSource interface {
	Domain(ctx context.Context, name string) (*settings.Domain, error)
}

// domainCache caches domain records (nil for "no such domain").
type domainCache struct {
	src DomainSource
	lru *genLRU[*settings.Domain]
}

func newDomainCache(src DomainSource, gen *Generation, size int) (*domainCache, error) {
	c, err := newGenLRU[*settings.Domain](gen, size)
	if err != nil {
		return nil, fmt.Errorf("domain %w", err)
	}
	return &domainCache{src: src, lru: c}, nil
}

// lastKnown returns name's record (nil: not a customer domain) as cached
// before the settings became unreadable; ok is false when the cache has
// no answer for name.
func (c *domainCache) lastKnown(name string) (d *settings.Domain, ok bool) { return c.lru.peek(name) }

// get returns the domain, or nil when it is not a customer domain.
func (c *domainCache) get(ctx context.Context, name string) (*settings.Domain, error) {
	return c.lru.get(ctx, name, func() (*settings.Domain, error) {
		d, err := c.src.Domain(ctx, name)
		if errors.Is(err, settings.ErrNotFound) {
			return nil, nil
		}
		return d, err
	})
}
