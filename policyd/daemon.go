package policyd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// Options assemble a Daemon; the composition root fills them from the
// [policyd] and [greylist] sections.
type Options struct {
	// Listen and Socketmap are the addresses Run listens on ("HOST:PORT"
	// or "unix:PATH"); an empty Socketmap means no socketmap server.
	Listen, Socketmap string
	// Limits bound one policy request.
	Limits Limits
	// IdleTimeout closes a connection that sent nothing for this long.
	IdleTimeout time.Duration
	// MaxConnections bounds the concurrent connections of each server.
	MaxConnections int
	// Greylist are the greylisting rules.
	Greylist greylist.Rules
	DB       *store.DB
	Settings *settings.SQLStore
	// Base is the global policy ([defaults]).
	Base settings.Policy
	// Resolver and Generation, when set, are shared with the milter (one
	// settings cache for both front-ends); nil builds them here from
	// Settings, Base and GenerationTTL.
	Resolver   *settings.Resolver
	Generation *Generation
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now (tests inject one).
	Now func() time.Time
	// GenerationTTL is how long a read of the settings generation is
	// trusted: an admin's change is live within it. Default 1s.
	GenerationTTL time.Duration
	// Decided is told the action of every answer sent to Postfix
	// (metrics.PolicyDecision); nil = nobody.
	Decided func(action string)
	// Panicked is told "policy" or "socketmap" for every panic recovered
	// in a connection (metrics.Panic); nil = nobody.
	Panicked func(component string)
	// MessagesPerHour limits each authenticated user's messages
	// ([sasl] messages_per_hour); 0 = no limit.
	MessagesPerHour int
	// HeldSpam counts authenticated users' messages held as outbound
	// spam (shared with the milter); a full user is deferred. nil = none.
	HeldSpam *SendLimiter
	// Refused is told every refusal answered (the mail history); nil =
	// nobody. It must not block.
	Refused func(req Request, dec Decision)
}

// Daemon is the policy server, the socketmap server and the greylist
// state they share, built from the configuration. `mailtower policyd`
// runs it alone; `mailtower serve` runs it next to the milter.
type Daemon struct {
	Policy    *Server
	Socketmap *Socketmap
	Greylist  *greylist.Greylister
	Decider   *Decider
	// PurgeEvery is how often Serve purges expired greylist state; 0
	// leaves purging to the caller (Greylist.Purge).
	PurgeEvery time.Duration

	listen, socketmap string
	log               *slog.Logger
	resolver          *settings.Resolver
}

// New migrates policyd's tables and assembles a Daemon.
func New(ctx context.Context, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.GenerationTTL <= 0 {
		o.GenerationTTL = time.Second
	}
	gs, err := greylist.NewSQLStore(ctx, o.DB)
	if err != nil {
		return nil, err
	}
	aliases, err := settings.NewAliasStore(ctx, o.DB)
	if err != nil {
		return nil, err
	}
	gl, err := greylist.New(gs, greylist.Config{Rules: o.Greylist, Shared: gs.Shared(), Now: o.Now, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	gen := o.Generation
	if gen == nil {
		gen = NewGeneration(o.Settings.Generation, o.GenerationTTL, o.Now)
	}
	resolver := o.Resolver
	if resolver == nil {
		if resolver, err = settings.NewResolver(genStore{Store: o.Settings, gen: gen}, o.Settings, o.Base, 50_000); err != nil {
			return nil, err
		}
	}
	dec, err := NewDecider(DeciderConfig{Resolver: resolver, Aliases: aliases,
		Relay: settings.NewRelayIndex(o.Settings, gen.Get), Greylist: gl, Generation: gen, Logger: o.Logger,
		Sends: NewSendLimiter(o.MessagesPerHour, time.Hour, o.Now), Held: o.HeldSpam})
	if err != nil {
		return nil, err
	}
	domains, err := newDomainCache(o.Settings, gen, 10_000)
	if err != nil {
		return nil, err
	}
	srv := NewServer(dec, ServerConfig{Limits: o.Limits,
		IdleTimeout: o.IdleTimeout, MaxConnections: o.MaxConnections, Logger: o.Logger, Decided: o.Decided, Panicked: o.Panicked,
		Refused: o.Refused})
	sm := newSocketmap(domains, resolver, dec.aliases, SocketmapConfig{IdleTimeout: o.IdleTimeout,
		MaxConnections: o.MaxConnections, Logger: o.Logger, Panicked: o.Panicked,
		TLS: o.Settings.TLSPolicies, AliasTargets: aliases.Target, Generation: gen})
	return &Daemon{Policy: srv, Socketmap: sm, Greylist: gl, Decider: dec, PurgeEvery: 5 * time.Minute,
		listen: o.Listen, socketmap: o.Socketmap, log: o.Logger, resolver: resolver}, nil
}

// Reload applies a new configuration's global policy and greylisting
// rules (SIGHUP); listeners and limits change only on restart.
func (d *Daemon) Reload(rules greylist.Rules, base settings.Policy) {
	d.resolver.SetBase(base)
	d.Greylist.SetRules(rules)
}

// Run listens on Options.Listen and Socketmap (when set) and serves
// until ctx ends (see Serve).
func (d *Daemon) Run(ctx context.Context) error {
	pl, err := Listen(d.listen)
	if err != nil {
		return err
	}
	var sl net.Listener
	if d.socketmap != "" {
		if sl, err = Listen(d.socketmap); err != nil {
			pl.Close()
			return err
		}
	}
	d.log.Info("policyd listening", "policy", d.listen, "socketmap", d.socketmap)
	return d.Serve(ctx, pl, sl)
}

// Serve answers policy requests on policyLn and socketmap look-ups on
// socketmapLn (nil: none), writes greylist state in the background and
// purges it every PurgeEvery. When ctx ends it finishes the requests in
// progress, writes the remaining greylist state and returns.
func (d *Daemon) Serve(ctx context.Context, policyLn, socketmapLn net.Listener) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	run(func() { errs <- d.Policy.Serve(sctx, policyLn) })
	if socketmapLn != nil {
		run(func() { errs <- d.Socketmap.Serve(sctx, socketmapLn) })
	}
	if d.PurgeEvery > 0 {
		run(func() { d.purgeLoop(sctx) })
	}
	flushDone := make(chan struct{})
	gctx, stopFlush := context.WithCancel(context.Background())
	go func() { d.Greylist.Run(gctx); close(flushDone) }()

	var first error
	select {
	case <-ctx.Done():
	case first = <-errs:
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		first = errors.Join(first, err)
	}
	// Only now, with every connection answered, write the last changes.
	stopFlush()
	<-flushDone
	if first != nil {
		return fmt.Errorf("policyd: %w", first)
	}
	return nil
}

func (d *Daemon) purgeLoop(ctx context.Context) {
	t := time.NewTicker(d.PurgeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := d.Greylist.Purge(ctx, d.Greylist.Now())
		if err != nil {
			d.log.Warn("greylist purge failed", "err", err)
			continue
		}
		d.log.Debug("greylist purged", "rows", n)
	}
}
