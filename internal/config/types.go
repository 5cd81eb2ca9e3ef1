package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailtower/mailtower/internal/netaddr"
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

// ParseMilterListen reads "inet:HOST:PORT" or "unix:PATH" (netaddr.ParseMilterListen).
func ParseMilterListen(s string) (network, address string, err error) {
	return netaddr.ParseMilterListen(s)
}

// ParseListen reads "HOST:PORT" or "unix:PATH" (netaddr.ParseListen).
func ParseListen(s string) (network, address string, err error) { return netaddr.ParseListen(s) }

// ParseClamdAddress reads "tcp:HOST:PORT" or "unix:PATH" (netaddr.ParseClamdAddress).
func ParseClamdAddress(s string) (network, address string, err error) {
	return netaddr.ParseClamdAddress(s)
}

// ParseHTTPAddress reads "http://HOST:PORT" (netaddr.ParseHTTPAddress).
func ParseHTTPAddress(s string) (network, address string, err error) {
	return netaddr.ParseHTTPAddress(s)
}

// ParseICAPAddress reads "icap://HOST[:PORT]/SERVICE" (netaddr.ParseICAPAddress).
func ParseICAPAddress(s string) (network, address, uri string, err error) {
	return netaddr.ParseICAPAddress(s)
}

func hostPort(network, s string) (string, string, error) { return netaddr.HostPort(network, s) }
