package policyd

import (
	"context"
	"slices"
	"strings"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/settings"
)

// The socketmap tables for outbound mail: the relay's TLS policy and the
// logins allowed to send as an address.
const (
	// MapTLS answers smtp_tls_policy_maps: the TLS security level of a
	// next hop ("[mx.example.com]", "[192.0.2.1]:2525") or a customer
	// domain, when `domain set --tls` gave one (settings.TLSPolicy).
	MapTLS = "tls"
	// MapSenders answers smtpd_sender_login_maps: the SASL logins that may
	// use an envelope sender, with reject_authenticated_sender_login_mismatch
	// (a user its own address and +ext forms, an alias the users it
	// names as target).
	MapSenders = "senders"
)

// TLSSource lists the relays' TLS policies (settings.SQLStore.TLSPolicies).
type TLSSource func(ctx context.Context) (map[string]settings.TLSPolicy, error)

// AliasTargets returns an alias's target (settings.AliasStore.Target).
type AliasTargets func(ctx context.Context, address string) (target string, found bool, err error)

// tlsPolicy answers the tls table; the whole table is cached until the
// settings change.
func (m *Socketmap) tlsPolicy(ctx context.Context, key string) (string, bool, error) {
	if m.cfg.TLS == nil || m.tls == nil {
		return "", false, nil
	}
	policies, err := m.tls.get(ctx, "", func() (map[string]settings.TLSPolicy, error) { return m.cfg.TLS(ctx) })
	if err != nil {
		// As routingDomain: queued mail keeps going out, with the
		// policies known before the settings became unreadable.
		last, ok := m.tls.peek("")
		if !ok {
			return "", false, err
		}
		m.cfg.Logger.Warn("socketmap: settings unreadable, answering with the last known TLS policies", "key", key, "err", err)
		policies = last
	}
	p, ok := policies[settings.NextHopKey(key)]
	if !ok {
		if d, err := settings.NormalizeDomain(key); err == nil {
			p, ok = policies[d]
		}
	}
	return string(p), ok && p != settings.TLSDefault, nil
}

// senderLogins answers the senders table: the logins (user addresses,
// comma separated) allowed to send as sender. Postfix asks a socketmap
// with the whole address only.
func (m *Socketmap) senderLogins(ctx context.Context, sender string) (string, bool, error) {
	addr, _, err := settings.NormalizeAddress(sender)
	if err != nil {
		return "", false, nil
	}
	forms := []string{addr}
	if a, err := address.Parse(addr); err == nil {
		if base := a.WithoutExtension(); base != a {
			forms = append(forms, base.Canonical())
		}
	}
	var logins []string
	for _, f := range forms {
		res, err := m.resolver.Resolve(ctx, f)
		if err != nil {
			return "", false, err
		}
		if res.User != nil {
			logins = append(logins, res.User.Address)
			continue
		}
		if m.cfg.AliasTargets == nil {
			continue
		}
		target, found, err := m.cfg.AliasTargets(ctx, f)
		if err != nil || !found {
			if err != nil {
				return "", false, err
			}
			continue
		}
		for _, t := range strings.FieldsFunc(target, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			ta, _, err := settings.NormalizeAddress(t)
			if err != nil {
				continue
			}
			if res, err := m.resolver.Resolve(ctx, ta); err != nil {
				return "", false, err
			} else if res.User != nil {
				logins = append(logins, res.User.Address)
			}
		}
	}
	slices.Sort(logins)
	logins = slices.Compact(logins)
	return strings.Join(logins, ","), len(logins) > 0, nil
}
