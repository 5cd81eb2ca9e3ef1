// Package greylist keeps greylisting state — triplets of client network,
// normalised sender and recipient, client networks that passed, and
// networks an admin allowed — and decides whether a delivery attempt
// passes (Greylister).
package greylist

import (
	"context"
	"net/netip"
	"time"
)

// Triplet is one (client network, sender, recipient) delivery attempt.
type Triplet struct {
	Client    string    `json:"client"` // network prefix, e.g. 192.0.2.0/24
	Sender    string    `json:"sender"` // normalised sender, "<>" for the null sender
	Recipient string    `json:"recipient"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// PassedAt is when the first retry after the delay came; zero while pending.
	PassedAt time.Time `json:"passed_at,omitzero"`
	Attempts int       `json:"attempts"`
}

// Key identifies a triplet in caches.
func (t Triplet) Key() string { return t.Client + "\x00" + t.Sender + "\x00" + t.Recipient }

// Passed reports whether the triplet passed greylisting.
func (t Triplet) Passed() bool { return !t.PassedAt.IsZero() }

// Client is a client network's greylisting history.
type Client struct {
	Net      string    `json:"client"`
	Passes   int       `json:"passes"` // triplets from this network that passed
	LastSeen time.Time `json:"last_seen"`
}

// Allow is a network an admin exempted from greylisting.
type Allow struct {
	Net     netip.Prefix `json:"net"`
	Comment string       `json:"comment,omitempty"`
	Created time.Time    `json:"created"`
}

// Filter selects triplets and clients for listing and clearing; empty
// fields match everything.
type Filter struct {
	// Net matches triplets whose client network overlaps it.
	Net       netip.Prefix
	Sender    string // normalised sender
	Recipient string
	Limit     int
}

// Expiry says when state is forgotten (the [greylist] settings).
type Expiry struct {
	// RetryWindow: a pending triplet not retried within it is dropped.
	RetryWindow time.Duration
	// Remember: a passed triplet or client not seen within it is dropped.
	Remember time.Duration
}

// Store persists greylisting state. The SQLite implementation is SQLStore;
// a shared database for several gateways can implement the same.
type Store interface {
	// Triplet returns a stored triplet; ok is false when there is none.
	Triplet(ctx context.Context, client, sender, recipient string) (t Triplet, ok bool, err error)
	// Client returns a stored client network; ok is false when there is none.
	Client(ctx context.Context, net string) (c Client, ok bool, err error)
	// Keys calls fn with the key of every stored triplet (Triplet.Key)
	// and every stored client network (Client.Net).
	Keys(ctx context.Context, fn func(key string)) error
	// Save writes triplets and clients (insert or replace) in one transaction.
	Save(ctx context.Context, ts []Triplet, cs []Client) error
	// Purge forgets what expired before now and returns how many rows went.
	Purge(ctx context.Context, now time.Time, e Expiry) (int64, error)

	// Allows lists the networks exempted by an admin.
	Allows(ctx context.Context) ([]Allow, error)
	// AddAllow exempts a network; RemoveAllow ends that (ErrNotFound if none).
	AddAllow(ctx context.Context, a Allow) error
	RemoveAllow(ctx context.Context, net netip.Prefix) error
	// List returns triplets (newest first) and clients matching f.
	List(ctx context.Context, f Filter) ([]Triplet, []Client, error)
	// Clear deletes triplets and clients matching f and returns the count.
	Clear(ctx context.Context, f Filter) (int64, error)
	// Generation changes when an admin edits the state (allow, clear), so
	// that a daemon's caches notice.
	Generation(ctx context.Context) (int64, error)
}
