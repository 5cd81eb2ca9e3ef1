package quarantine

import (
	"context"
	"fmt"

	"github.com/mailtower/mailtower/scan"
)

// Held counts the recipient copies currently in quarantine (not released,
// deleted or purged), by category; every category is present, 0 when
// empty. It is one indexed COUNT, cheap enough for a metrics scrape.
func (s *Store) Held(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{string(scan.Virus): 0, string(scan.Content): 0, string(scan.Spam): 0}
	rows, err := s.db.QueryContext(ctx,
		`SELECT category, COUNT(*) FROM quarantine_items WHERE state = 'quarantined' GROUP BY category`)
	if err != nil {
		return nil, fmt.Errorf("quarantine: count: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cat string
		var n int64
		if err := rows.Scan(&cat, &n); err != nil {
			return nil, fmt.Errorf("quarantine: count: %w", err)
		}
		out[cat] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quarantine: count: %w", err)
	}
	return out, nil
}
