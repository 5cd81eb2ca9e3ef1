package settings

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// TLSPolicy is how the gateway's relay to a domain's server uses TLS, as
// a Postfix smtp_tls_policy_maps security level (TLS_README): the empty
// policy is the global default (smtp_tls_security_level = may).
type TLSPolicy string

// The TLS policies a domain can have.
const (
	// TLSDefault inherits the global opportunistic TLS.
	TLSDefault TLSPolicy = ""
	// TLSMay: TLS when the server offers it, plain text otherwise.
	TLSMay TLSPolicy = "may"
	// TLSEncrypt: TLS required, the certificate is not verified.
	TLSEncrypt TLSPolicy = "encrypt"
	// TLSVerify: TLS required and the certificate must be valid for the
	// relay host name (public CAs).
	TLSVerify TLSPolicy = "verify"
)

// TLSPolicies lists the policies a domain can be set to.
var TLSPolicies = []TLSPolicy{TLSMay, TLSEncrypt, TLSVerify}

// ParseTLSPolicy reads a --tls value; "default" and "" clear it.
func ParseTLSPolicy(s string) (TLSPolicy, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "default" {
		return TLSDefault, nil
	}
	for _, p := range TLSPolicies {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("tls policy %q: want may, encrypt, verify or default", s)
}

// strictness orders policies: when several domains share one relay, the
// strictest of theirs applies to it.
func (p TLSPolicy) strictness() int {
	switch p {
	case TLSMay:
		return 1
	case TLSEncrypt:
		return 2
	case TLSVerify:
		return 3
	}
	return 0
}

// Stricter returns the stricter of p and q.
func (p TLSPolicy) Stricter(q TLSPolicy) TLSPolicy {
	if q.strictness() > p.strictness() {
		return q
	}
	return p
}

// NextHopKey is the form in which a relay and a Postfix TLS policy
// look-up key are compared: "host:port", host lower case without
// brackets, port 25 when none is given. Postfix asks smtp_tls_policy_maps
// with the next hop as the transport names it ("[mx.example.com]" or
// "[192.0.2.1]:2525", TLS_README "TLS policy table").
func NextHopKey(s string) string {
	host, port := s, "25"
	if h, p, err := net.SplitHostPort(s); err == nil && p != "" {
		host, port = h, p
	}
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return net.JoinHostPort(strings.TrimSuffix(host, "."), port)
}

// TLSPolicies returns the TLS policy of every relay that has one set, by
// NextHopKey of the relay; domains sharing a relay give it the strictest
// of their policies. Domains are keyed by their name too, for a next hop
// that is the recipient domain.
func (s *SQLStore) TLSPolicies(ctx context.Context) (map[string]TLSPolicy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, relay, tls FROM domains WHERE tls != ''`)
	if err != nil {
		return nil, fmt.Errorf("tls policies: %w", err)
	}
	defer rows.Close()
	out := map[string]TLSPolicy{}
	for rows.Next() {
		var name, relay string
		var p TLSPolicy
		if err := rows.Scan(&name, &relay, &p); err != nil {
			return nil, fmt.Errorf("tls policies: %w", err)
		}
		out[NextHopKey(relay)] = out[NextHopKey(relay)].Stricter(p)
		out[name] = out[name].Stricter(p)
	}
	return out, rows.Err()
}
