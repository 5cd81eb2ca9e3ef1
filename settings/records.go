package settings

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// ErrNotFound is returned when a domain or user does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when adding a domain or user that exists.
var ErrExists = errors.New("already exists")

// Domain is a customer domain this gateway accepts mail for.
type Domain struct {
	// Name is the domain, lower case, without trailing dot.
	Name string
	// Relay is the customer's mail server, "HOST" or "HOST:PORT"; an IP
	// or a host name in brackets skips MX look-up, as in Postfix.
	Relay string
	// CatchAll means the customer server accepts any local part: recipients
	// cannot be validated here, so unknown senders are greylisted instead.
	CatchAll bool
	// RelayNets are the customer's own networks, allowed to send outbound.
	RelayNets []netip.Prefix
	Overrides Overrides
	Created   time.Time
}

// User is one recipient address of a domain, with its overrides.
type User struct {
	Address   string
	Domain    string
	Overrides Overrides
	Created   time.Time
}

// NormalizeDomain lower-cases a domain and checks its shape.
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return "", fmt.Errorf("domain %q: want a fully qualified domain name such as example.com", s)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("domain %q: bad label %q", s, label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c > 127) {
				return "", fmt.Errorf("domain %q: bad character %q", s, c)
			}
		}
	}
	return d, nil
}

// NormalizeAddress lower-cases the domain of an address (local parts are
// compared case-insensitively too: every mail server in practice does)
// and returns the address and its domain.
func NormalizeAddress(s string) (addr, domain string, err error) {
	a := strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 {
		return "", "", fmt.Errorf("address %q: want local@domain", s)
	}
	d, err := NormalizeDomain(a[at+1:])
	if err != nil {
		return "", "", fmt.Errorf("address %q: %w", s, err)
	}
	local := a[:at]
	if strings.ContainsAny(local, " \t\r\n<>,;") || len(local) > 64 {
		return "", "", fmt.Errorf("address %q: bad local part", s)
	}
	return local + "@" + d, d, nil
}

// CheckRelay validates a next hop "HOST", "HOST:PORT", "[IP]" or "[IP]:PORT".
func CheckRelay(s string) error {
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		host = h
		if p == "" {
			return fmt.Errorf("relay %q: empty port", s)
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return fmt.Errorf("relay %q: want HOST[:PORT]", s)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if _, err := NormalizeDomain(host); err != nil && host != "localhost" {
		return fmt.Errorf("relay %q: %w", s, err)
	}
	return nil
}

// PostfixNextHop renders the relay as a Postfix transport next hop
// ("smtp:[host]:port"): brackets, so Postfix does not look up the MX of
// the customer server's name (which would point back at this gateway).
func (d *Domain) PostfixNextHop() string {
	host, port := d.Relay, ""
	if h, p, err := net.SplitHostPort(d.Relay); err == nil {
		host, port = h, ":"+p
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return "smtp:[" + host + "]" + port
}
