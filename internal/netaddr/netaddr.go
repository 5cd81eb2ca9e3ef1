// Package netaddr reads the address forms of mailtower's configuration
// (listeners, engine addresses) into Go's network and address. The
// configuration checks them with these functions, and the packages that
// dial or listen parse them again, so neither needs the configuration.
package netaddr

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseMilterListen reads Postfix-style milter addresses: "inet:HOST:PORT"
// or "unix:PATH", and returns Go's network and address.
func ParseMilterListen(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "inet:"):
		return HostPort("tcp", strings.TrimPrefix(s, "inet:"))
	case strings.HasPrefix(s, "unix:"):
		return unixPath(strings.TrimPrefix(s, "unix:"))
	}
	return "", "", fmt.Errorf("%q: want inet:HOST:PORT or unix:PATH", s)
}

// ParseListen reads "HOST:PORT" or "unix:PATH".
func ParseListen(s string) (network, address string, err error) {
	if strings.HasPrefix(s, "unix:") {
		return unixPath(strings.TrimPrefix(s, "unix:"))
	}
	return HostPort("tcp", s)
}

// ParseClamdAddress reads "tcp:HOST:PORT" or "unix:PATH".
func ParseClamdAddress(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "tcp:"):
		return HostPort("tcp", strings.TrimPrefix(s, "tcp:"))
	case strings.HasPrefix(s, "unix:"):
		return unixPath(strings.TrimPrefix(s, "unix:"))
	}
	return "", "", fmt.Errorf("%q: want tcp:HOST:PORT or unix:PATH", s)
}

// ParseHTTPAddress reads "http://HOST:PORT" (rspamd's controller or normal worker).
func ParseHTTPAddress(s string) (network, address string, err error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("%q: want http://HOST:PORT", s)
	}
	return "tcp", u.Host, nil
}

// ParseICAPAddress reads an ICAP service URI, "icap://HOST[:PORT]/SERVICE"
// with an optional query of service arguments (RFC 3507 section 4.2; the
// port defaults to 1344), and returns the network, HOST:PORT and the URI
// as it goes on the request line.
func ParseICAPAddress(s string) (network, address, uri string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "icap" || u.Host == "" || u.User != nil || u.Fragment != "" ||
		strings.Trim(u.Path, "/") == "" || strings.ContainsAny(s, " \t\r\n") {
		return "", "", "", fmt.Errorf("%q: want icap://HOST[:PORT]/SERVICE", s)
	}
	hp := u.Host
	if u.Port() == "" {
		hp = net.JoinHostPort(u.Hostname(), "1344")
	}
	network, address, err = HostPort("tcp", hp)
	if err != nil {
		return "", "", "", err
	}
	u.Host = address
	return network, address, u.String(), nil
}

// HostPort checks "HOST:PORT" (the port a number up to 65535) and
// returns network with the joined address.
func HostPort(network, s string) (string, string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", "", fmt.Errorf("%q: %w", s, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "", "", fmt.Errorf("%q: bad port %q", s, port)
	}
	return network, net.JoinHostPort(host, port), nil
}

func unixPath(p string) (string, string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", "", fmt.Errorf("unix socket path %q must be absolute", p)
	}
	return "unix", p, nil
}
