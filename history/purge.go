package history

import (
	"context"
	"fmt"
	"time"
)

// PurgeOptions bound one purge.
type PurgeOptions struct {
	// Batch is the rows deleted per transaction (default 1000): the
	// milter's and the follower's writes get the database between batches.
	Batch int
	// Pause is the wait between batches (default 50 ms).
	Pause time.Duration
}

// Purged counts what a purge removed.
type Purged struct {
	Messages   int64 `json:"messages"`
	Deliveries int64 `json:"deliveries"`
}

// Purge removes messages (with their recipients and events) and
// delivery attempts older than before, in batches, until none is left or
// ctx ends.
func (s *Store) Purge(ctx context.Context, before time.Time, o PurgeOptions) (Purged, error) {
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Pause <= 0 {
		o.Pause = 50 * time.Millisecond
	}
	var p Purged
	for _, step := range []struct {
		n   *int64
		sql string
	}{
		{&p.Messages, `DELETE FROM history_messages WHERE id IN (SELECT id FROM history_messages WHERE received < ? ORDER BY received LIMIT ?)`},
		{&p.Deliveries, `DELETE FROM history_deliveries WHERE id IN (SELECT id FROM history_deliveries WHERE time < ? ORDER BY time LIMIT ?)`},
	} {
		for {
			res, err := s.db.ExecContext(ctx, step.sql, before.Unix(), o.Batch)
			if err != nil {
				return p, fmt.Errorf("history purge: %w", err)
			}
			n, _ := res.RowsAffected()
			*step.n += n
			if n < int64(o.Batch) {
				break
			}
			select {
			case <-ctx.Done():
				return p, ctx.Err()
			case <-time.After(o.Pause):
			}
		}
	}
	return p, nil
}
