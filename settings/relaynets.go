package settings

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mailtower/mailtower/address"
)

// RelayNet is one network from which a domain's own servers send
// outbound mail through the gateway.
type RelayNet struct {
	Domain string
	Prefix netip.Prefix
}

// RelayNets lists every domain's relay networks.
func (s *SQLStore) RelayNets(ctx context.Context) ([]RelayNet, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT domain, cidr FROM domain_relay_nets ORDER BY domain, cidr`)
	if err != nil {
		return nil, fmt.Errorf("relay nets: %w", err)
	}
	defer rows.Close()
	var out []RelayNet
	for rows.Next() {
		var n RelayNet
		var cidr string
		if err := rows.Scan(&n.Domain, &cidr); err != nil {
			return nil, fmt.Errorf("relay nets: %w", err)
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("domain %s: stored relay net %q: %w", n.Domain, cidr, err)
		}
		n.Prefix = p
		out = append(out, n)
	}
	return out, rows.Err()
}

// OutboundDomain returns the domain whose relay networks contain client
// (the most specific network wins); ok is false when client is in none.
// Several domains may share a network (one customer server for several
// domains): use OutboundDomains or Outbound to see them all.
func (s *SQLStore) OutboundDomain(ctx context.Context, client netip.Addr) (domain string, ok bool, err error) {
	nets, err := s.RelayNets(ctx)
	if err != nil {
		return "", false, err
	}
	ds := matchRelayNets(nets, client)
	if len(ds) == 0 {
		return "", false, nil
	}
	return ds[0], true, nil
}

// matchRelayNets returns the domains whose networks contain client, the
// most specific network first.
func matchRelayNets(nets []RelayNet, client netip.Addr) []string {
	client = client.Unmap()
	var hits []RelayNet
	for _, n := range nets {
		if n.Prefix.Contains(client) {
			hits = append(hits, n)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Prefix.Bits() > hits[j].Prefix.Bits() })
	out := make([]string, 0, len(hits))
	for _, n := range hits {
		if !slices.Contains(out, n.Domain) {
			out = append(out, n.Domain)
		}
	}
	return out
}

// SenderInDomain reports whether the envelope sender's domain is domain
// or one of its subdomains.
func SenderInDomain(sender, domain string) bool {
	return address.InDomain(address.DomainOf(sender), domain)
}

// RelayIndex answers "is this client a customer's relay network?" on the
// hot path (policyd at every RCPT, the milter at every message) from
// memory, reloading the networks when the settings generation changes.
type RelayIndex struct {
	store interface {
		RelayNets(ctx context.Context) ([]RelayNet, error)
	}
	generation func(ctx context.Context) (int64, error)

	mu   sync.Mutex
	gen  int64
	nets []RelayNet
}

// NewRelayIndex returns an index over s. generation reports the settings
// generation; pass s.Generation, or a cached version of it.
func NewRelayIndex(s *SQLStore, generation func(ctx context.Context) (int64, error)) *RelayIndex {
	if generation == nil {
		generation = s.Generation
	}
	return &RelayIndex{store: s, generation: generation, gen: -1}
}

// OutboundDomains returns the domains whose relay networks contain
// client, the most specific network first; none for other clients.
func (x *RelayIndex) OutboundDomains(ctx context.Context, client netip.Addr) ([]string, error) {
	gen, err := x.generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("relay nets: %w", err)
	}
	x.mu.Lock()
	nets, stale := x.nets, gen != x.gen
	x.mu.Unlock()
	if stale {
		if nets, err = x.store.RelayNets(ctx); err != nil {
			return nil, err
		}
		x.mu.Lock()
		x.nets, x.gen = nets, gen
		x.mu.Unlock()
	}
	return matchRelayNets(nets, client), nil
}

// Outbound reports whether mail from client with this envelope sender is
// a customer's outbound mail: the client is in a relay network of a
// domain and the sender belongs to that domain (or a subdomain). The
// milter scans such mail for viruses only. The null sender (a DSN from
// the customer's server) counts as outbound from the most specific domain.
func (x *RelayIndex) Outbound(ctx context.Context, client netip.Addr, sender string) (domain string, ok bool, err error) {
	ds, err := x.OutboundDomains(ctx, client)
	if err != nil || len(ds) == 0 {
		return "", false, err
	}
	if strings.Trim(sender, "<>") == "" {
		return ds[0], true, nil
	}
	for _, d := range ds {
		if SenderInDomain(sender, d) {
			return d, true, nil
		}
	}
	return "", false, nil
}
