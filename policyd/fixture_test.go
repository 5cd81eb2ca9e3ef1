package policyd

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a daemon over a fresh database with two domains:
// valid.example (recipients validated; relay net 192.0.2.0/24; user bob
// with a 1000-byte limit; alias sales) and catch.example (catch-all).
type fixture struct {
	t      testing.TB
	db     *store.DB
	st     *settings.SQLStore
	d      *Daemon
	clock  *fakeClock
	rules  map[string]int64
	aliasS *settings.AliasStore
}

// quiet discards the log of tests.
var quiet = slog.New(slog.DiscardHandler)

func ptr[T any](v T) *T { return &v }

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	st, err := settings.NewSQLStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, st: st, clock: &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		rules: map[string]int64{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.AddDomain(ctx, settings.Domain{Name: "valid.example", Relay: "mx.valid.example:25",
		RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}}))
	must(st.AddDomain(ctx, settings.Domain{Name: "catch.example", Relay: "[10.0.0.1]:2525", CatchAll: true}))
	must(st.AddDomain(ctx, settings.Domain{Name: "callout.example", Relay: "[10.0.0.2]", VerifyRecipients: settings.VerifyCallout}))
	must(st.AddUser(ctx, settings.User{Address: "bob@valid.example", Domain: "valid.example",
		Overrides: settings.Overrides{MaxSize: ptr(int64(1000))}}))
	must(st.AddUser(ctx, settings.User{Address: "carol@valid.example", Domain: "valid.example"}))
	f.addRule("global", settings.BlockIP, "198.51.100.0/24")
	f.addRule("valid.example", settings.BlockSender, "spam@bad.example")
	f.addRule("bob@valid.example", settings.BlockSenderDomain, "worse.example")
	f.addRule("global", settings.AllowSender, "friend@good.example")
	f.addRule("catch.example", settings.AllowSender, "@trusted.example")
	f.d, err = New(ctx, Options{Limits: Limits{MaxBytes: 64 << 10, MaxAttributes: 200}, IdleTimeout: 330 * time.Second,
		MaxConnections: 2000, Greylist: greylist.Rules{Delay: 30 * time.Second, RetryWindow: 48 * time.Hour,
			Remember: 840 * time.Hour, AutoAllow: 5}, DB: db, Settings: st, Base: settings.Policy{MaxSize: 25_000_000},
		Now: f.clock.Now, GenerationTTL: time.Nanosecond, Logger: quiet})
	must(err)
	f.aliasS = st.Aliases()
	must(err)
	must(f.aliasS.Add(ctx, settings.Alias{Address: "sales@valid.example", Target: "carol@valid.example"}))
	return f
}

func (f *fixture) addRule(scope string, kind settings.RuleKind, value string) {
	f.t.Helper()
	sc, err := settings.ParseScope(scope)
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := f.st.AddRule(context.Background(), settings.Rule{Scope: sc, Kind: kind, Value: value})
	if err != nil {
		f.t.Fatal(err)
	}
	f.rules[string(kind)+" "+value] = r.ID
}

// rcpt builds a RCPT-state request.
func rcpt(client, sender, recipient string, extra ...string) Request {
	r := Request{"request": "smtpd_access_policy", "protocol_state": "RCPT", "protocol_name": "ESMTP",
		"client_address": client, "client_name": "unknown", "helo_name": "mx.test", "sender": sender,
		"recipient": recipient, "queue_id": "", "size": "0", "instance": "1.2.3"}
	for i := 0; i+1 < len(extra); i += 2 {
		r[extra[i]] = extra[i+1]
	}
	return r
}

// Alias is the settings alias, under the name the tests used when aliases
// lived here.
type Alias = settings.Alias
