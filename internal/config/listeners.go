package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// checkExposure refuses a listener that other hosts can reach unless its
// section opts in with allow_public = true. None of mailtower's listeners
// authenticates its clients: whoever reaches the milter can have mail
// scanned and learn verdicts, whoever reaches the policy service or the
// socketmap can enumerate customers' users and domains and pre-pass
// greylisting, and the metrics tell anyone how much mail is filtered.
// So, as Redis' protected mode does for an unauthenticated public
// listener, the safe setting is the default and exposure is an explicit
// choice (for Postfix on another host, behind a firewall).
func (c *Config) checkExposure() []error {
	var errs []error
	for _, l := range []struct {
		key, addr, section string
		allowed            bool
		parse              func(string) (string, string, error)
		who                string
	}{
		{"milter.listen", c.Milter.Listen, "milter", c.Milter.AllowPublic, ParseMilterListen,
			"have mail scanned and read verdicts"},
		{"policyd.listen", c.Policyd.Listen, "policyd", c.Policyd.AllowPublic, ParseListen,
			"probe which recipients exist and pre-pass greylisting"},
		{"policyd.socketmap", c.Policyd.Socketmap, "policyd", c.Policyd.AllowPublic, ParseListen,
			"list customer domains, next hops and recipients"},
		{"metrics.listen", c.Metrics.Listen, "metrics", c.Metrics.AllowPublic, ParseListen,
			"read how much mail is filtered"},
	} {
		if l.addr == "" || l.allowed {
			continue
		}
		network, address, err := l.parse(l.addr)
		if err != nil || !Exposed(network, address) {
			continue // a bad address is reported by Check
		}
		errs = append(errs, fmt.Errorf("%s %q is reachable from other hosts and has no authentication: anyone who reaches it can %s; "+
			"listen on 127.0.0.1, ::1 or a unix socket, or set %s.allow_public = true if a firewall admits only your own hosts",
			l.key, l.addr, l.who, l.section))
	}
	return errs
}

// Exposed reports whether a listener on network/address (as returned by
// ParseListen) can be reached from other hosts: not a unix socket and not
// bound to a loopback address or "localhost". An empty host (all
// interfaces) and host names other than localhost count as exposed:
// which addresses a name stands for can change.
func Exposed(network, address string) bool {
	if network == "unix" {
		return false
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || !ip.Unmap().IsLoopback()
}
