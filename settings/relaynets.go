package settings

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
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
// domains): use RelayIndex.OutboundDomains to see them all.
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

// Relay networks broader than these prefix lengths are refused unless
// the admin insists (domain add/set --force): a network that wide is
// almost always a typo, and with it anyone there may send as the domain.
const (
	MinRelayNetBits4 = 16
	MinRelayNetBits6 = 48
)

// ParseRelayNet reads a relay network: a CIDR or a single address. The
// result is masked, and an IPv4-mapped IPv6 prefix (::ffff:192.0.2.0/120)
// becomes the IPv4 prefix it means, since clients are matched unmapped.
func ParseRelayNet(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("relay network %q: want a CIDR such as 192.0.2.0/24", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("relay network %q: an IPv4-mapped prefix needs at least /96", s)
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// CheckRelayNetBreadth refuses a network broader than /16 (IPv4) or /48
// (IPv6), naming it.
func CheckRelayNetBreadth(p netip.Prefix) error {
	bits := MinRelayNetBits6
	if p.Addr().Is4() {
		bits = MinRelayNetBits4
	}
	if p.Bits() < bits {
		return fmt.Errorf("relay network %s is broader than /%d: every client in it may send mail as the domain "+
			"and relay it anywhere", p, bits)
	}
	return nil
}
