package settings

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mailtower/mailtower/address"
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
	// Mirror is the domain's encrypted replay cache; nil when off.
	Mirror *Mirror
	// VerifyRecipients is how recipients that are neither users nor
	// aliases are checked: VerifyList refuses them, VerifyCallout asks the
	// customer's server ("" reads as VerifyList).
	VerifyRecipients VerifyMode
	// TLS is the relay's TLS policy (empty: opportunistic, the default).
	TLS       TLSPolicy
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

// NormalizeDomain returns a domain's canonical form (address.Domain:
// lower case, IDN labels as "xn--" A-labels) and checks its shape.
func NormalizeDomain(s string) (string, error) {
	d, err := address.Domain(s)
	if err != nil || len(d) > 253 || !strings.Contains(d, ".") {
		return "", fmt.Errorf("domain %q: want a fully qualified domain name such as example.com", s)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("domain %q: bad label %q", s, label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("domain %q: bad character %q", s, c)
			}
		}
	}
	return d, nil
}

// NormalizeAddress returns the canonical form of an address
// (address.Canonical: local part lower-cased and unquoted when it is a
// dot-atom, as Postfix does; canonical domain), which every settings
// look-up compares, and its domain. The domain must be a fully qualified
// domain name.
func NormalizeAddress(s string) (addr, domain string, err error) {
	a, err := address.Parse(s)
	if err != nil {
		return "", "", err // an *address.SyntaxError naming s
	}
	d, err := NormalizeDomain(a.Domain)
	if err != nil {
		return "", "", fmt.Errorf("address %q: %w", s, err)
	}
	addr = a.Canonical()
	if len(addr)-len(d)-1 > 64 {
		return "", "", fmt.Errorf("address %q: local part longer than 64 characters", s)
	}
	return addr, d, nil
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
