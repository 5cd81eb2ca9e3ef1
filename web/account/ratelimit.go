package account

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Failed logins are counted in the database (so several gateways share
// the counts) per login and per client network: a /24 for IPv4 and a /56
// for IPv6, the blocks one customer or one attacker usually holds.
const (
	failureWindow = 15 * time.Minute
	// MaxLoginFailures is the failed logins per login in the window.
	MaxLoginFailures = 10
	// MaxNetFailures is the failed logins per client network in the window.
	MaxNetFailures = 50
)

// ClientNet returns the rate-limit key of a client address.
func ClientNet(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil {
		return "net:" + client
	}
	a = a.Unmap()
	bits := 56
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return "net:" + p.String()
}

// LoginAllowed returns ErrRateLimit when login or client's network
// failed too often lately.
func (s *Store) LoginAllowed(ctx context.Context, login, client string) error {
	since := s.now().Add(-failureWindow).Unix()
	for _, k := range []struct {
		key string
		max int
	}{{"login:" + NormalizeLogin(login), MaxLoginFailures}, {ClientNet(client), MaxNetFailures}} {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_login_failures WHERE key = ? AND at >= ?`,
			k.key, since).Scan(&n); err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		if n >= k.max {
			return ErrRateLimit
		}
	}
	return nil
}

// LoginFailed counts one failed login (password or second factor).
func (s *Store) LoginFailed(ctx context.Context, login, client string) error {
	now := s.now().Unix()
	_, err := s.db.ExecContext(ctx, `INSERT INTO account_login_failures (key, at) VALUES (?, ?), (?, ?)`,
		"login:"+NormalizeLogin(login), now, ClientNet(client), now)
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	return nil
}
