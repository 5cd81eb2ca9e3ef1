// Package bytesize reads and prints sizes in bytes as mail admins write
// them ("25MB", "512KiB"), for the configuration and the policy settings.
package bytesize

import (
	"fmt"
	"strconv"
	"strings"
)

// Size is a size in bytes written as "25MB", "512KiB" or a plain number.
// KB, MB and GB are decimal (as mail admins and Postfix's message_size_limit
// documentation use them: 25MB = 25,000,000); KiB, MiB and GiB are binary.
type Size int64

// Size units.
const (
	KB Size = 1000
	MB Size = 1000 * KB
	GB Size = 1000 * MB
)

// Parse reads a size such as "25MB", "10 MiB" or "1048576".
func Parse(s string) (Size, error) {
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
	return Size(f * mult), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Size) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	*b = v
	return err
}

// MarshalText implements encoding.TextMarshaler.
func (b Size) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// String prints the size in the largest decimal unit that divides it.
func (b Size) String() string {
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
