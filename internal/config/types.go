package config

import (
	"fmt"
	"time"

	"github.com/mailtower/mailtower/internal/bytesize"
	"github.com/mailtower/mailtower/internal/netaddr"
)

const defaultScannerTimeout = 60 * time.Second

// Byte size units for ByteSize.
const (
	KB = bytesize.KB
	MB = bytesize.MB
	GB = bytesize.GB
)

// ByteSize is a size in bytes written as "25MB", "512KiB" or a plain
// number (bytesize.Size: KB, MB and GB decimal, KiB, MiB and GiB binary).
type ByteSize = bytesize.Size

// ParseByteSize reads a size such as "25MB", "10 MiB" or "1048576".
func ParseByteSize(s string) (ByteSize, error) { return bytesize.Parse(s) }

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
