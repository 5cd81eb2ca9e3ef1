package settings

import (
	"context"
	"errors"
	"fmt"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mailtower/mailtower/address"
)

// Resolver resolves recipients to policies on the per-message hot path,
// caching domain and user records in an LRU that is emptied whenever the
// store's generation changes (another process edited the settings).
type Resolver struct {
	store Store
	rules RuleStore

	mu    sync.Mutex
	base  Policy
	gen   int64
	cache *lru.Cache[string, Resolved]
}

// NewResolver returns a resolver over store with base as the global
// policy; rules, when not nil, fills Resolved.Rules.
func NewResolver(store Store, rules RuleStore, base Policy, size int) (*Resolver, error) {
	c, err := lru.New[string, Resolved](size)
	if err != nil {
		return nil, fmt.Errorf("settings resolver: %w", err)
	}
	return &Resolver{store: store, rules: rules, base: base, gen: -1, cache: c}, nil
}

// SetBase replaces the global policy (config reload) and empties the cache.
func (r *Resolver) SetBase(base Policy) {
	r.mu.Lock()
	r.base = base
	r.cache.Purge()
	r.mu.Unlock()
}

// Resolve returns the effective policy for one recipient address. A
// recipient of an unknown domain (outbound mail) gets the global policy.
func (r *Resolver) Resolve(ctx context.Context, recipient string) (Resolved, error) {
	addr, domain, err := NormalizeAddress(recipient)
	if err != nil {
		// A recipient Postfix accepted but we cannot parse (e.g. a bare
		// local part) still gets a policy: the global one.
		r.mu.Lock()
		base := r.base
		r.mu.Unlock()
		res := Resolve(base, nil, nil)
		if r.rules != nil {
			if res.Rules, err = r.rules.Rules(ctx, Scope{Kind: ScopeGlobal}, ""); err != nil {
				return Resolved{}, fmt.Errorf("resolve %s: %w", recipient, err)
			}
		}
		return res, nil
	}
	gen, err := r.store.Generation(ctx)
	if err != nil {
		return Resolved{}, fmt.Errorf("resolve %s: %w", recipient, err)
	}
	r.mu.Lock()
	if gen != r.gen {
		r.cache.Purge()
		r.gen = gen
	}
	base := r.base
	r.mu.Unlock()
	if res, ok := r.cache.Get(addr); ok {
		return res, nil
	}
	res, err := r.load(ctx, base, addr, domain)
	if err != nil {
		return Resolved{}, err
	}
	if r.rules != nil {
		if res.Rules, err = r.rules.RulesFor(ctx, addr); err != nil {
			return Resolved{}, fmt.Errorf("resolve %s: %w", addr, err)
		}
	}
	r.cache.Add(addr, res)
	return res, nil
}

func (r *Resolver) load(ctx context.Context, base Policy, addr, domain string) (Resolved, error) {
	d, err := r.store.Domain(ctx, domain)
	if errors.Is(err, ErrNotFound) {
		return Resolve(base, nil, nil), nil
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("resolve %s: %w", addr, err)
	}
	u, err := r.store.User(ctx, addr)
	if errors.Is(err, ErrNotFound) {
		// user+ext@domain is user@domain's mailbox.
		if a, perr := address.Parse(addr); perr == nil {
			if base := a.WithoutExtension(); base != a {
				u, err = r.store.User(ctx, base.Canonical())
			}
		}
	}
	if errors.Is(err, ErrNotFound) {
		return Resolve(base, d, nil), nil
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("resolve %s: %w", addr, err)
	}
	return Resolve(base, d, u), nil
}
