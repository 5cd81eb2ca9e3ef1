package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const defaultScannerTimeout = 60 * time.Second

// Byte size units for ByteSize.
const (
	KB ByteSize = 1000
	MB ByteSize = 1000 * KB
	GB ByteSize = 1000 * MB
)

// ByteSize is a size in bytes written as "25MB", "512KiB" or a plain number.
// KB, MB and GB are decimal (as mail admins and Postfix's message_size_limit
// documentation use them: 25MB = 25,000,000); KiB, MiB and GiB are binary.
type ByteSize int64

// ParseByteSize reads a size such as "25MB", "10 MiB" or "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (KB, MB, GB, KiB, MiB, GiB)", s)
	}
	mult := map[string]float64{"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, unit)
	}
	return ByteSize(f * mult), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	*b = v
	return err
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// String prints the size in the largest decimal unit that divides it.
func (b ByteSize) String() string {
	switch {
	case b != 0 && b%GB == 0:
		return fmt.Sprintf("%dGB", b/GB)
	case b != 0 && b%MB == 0:
		return fmt.Sprintf("%dMB", b/MB)
	case b != 0 && b%KB == 0:
		return fmt.Sprintf("%dKB", b/KB)
	}
	return strconv.FormatInt(int64(b), 10)
}

// Duration is a time.Duration written as "30s", "48h" in TOML.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("duration %q: %w", text, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseMilterListen reads Postfix-style milter addresses: "inet:HOST:PORT"
// or "unix:PATH", and returns Go's network and address.
func ParseMilterListen(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "inet:"):
		return hostPort("tcp", strings.TrimPrefix(s, "inet:"))
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
	return hostPort("tcp", s)
}

// ParseClamdAddress reads "tcp:HOST:PORT" or "unix:PATH".
func ParseClamdAddress(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "tcp:"):
		return hostPort("tcp", strings.TrimPrefix(s, "tcp:"))
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
	network, address, err = hostPort("tcp", hp)
	if err != nil {
		return "", "", "", err
	}
	u.Host = address
	return network, address, u.String(), nil
}

func hostPort(network, s string) (string, string, error) {
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
