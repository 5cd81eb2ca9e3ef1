package greylist

import (
	"context"
	"fmt"
)

// Count returns the stored triplets by state: "pending" (greylisted, no
// successful retry yet) and "passed" (remembered). One COUNT over the
// table, for the metrics gauge; state still in memory reaches the table
// with the next flush.
func (s *SQLStore) Count(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{"pending": 0, "passed": 0}
	rows, err := s.db.QueryContext(ctx,
		`SELECT CASE WHEN passed_at > 0 THEN 'passed' ELSE 'pending' END, COUNT(*) FROM greylist_triplets GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("greylist: count: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("greylist: count: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("greylist: count: %w", err)
	}
	return out, nil
}
