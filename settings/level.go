package settings

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseLevel reads a spam level, 1 (only obvious spam) to 5 (aggressive).
func ParseLevel(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 5 {
		return 0, fmt.Errorf("spam level %q: want 1 to 5", s)
	}
	return n, nil
}
