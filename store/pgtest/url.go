package pgtest

import (
	"fmt"
	"net/url"
)

// withDatabase returns admin with its database replaced by name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("pgtest: URL %q: %w", admin, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
