package history

import (
	"context"
	"fmt"
	"time"
)

// EventReleased is the event of a quarantine release.
const EventReleased = "released"

// RecordRelease links a quarantine release to the history: the released
// recipients of quarantine message qid now travel in Postfix's queue id
// queueID ("" when Postfix's reply named none), and the message gets a
// "released" event. by says who released it.
func (s *Store) RecordRelease(ctx context.Context, qid string, recipients []string, queueID, by string, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history release %s: %w", qid, err)
	}
	defer tx.Rollback()
	for _, rcpt := range recipients {
		key := Key(rcpt)
		var msg int64
		err := tx.QueryRowContext(ctx, `SELECT message FROM history_recipients WHERE quarantine_id = ? AND recipient = ?
			ORDER BY id DESC LIMIT 1`, qid, key).Scan(&msg)
		if err != nil {
			continue // not in the history (recorded before it was on, or purged)
		}
		if queueID != "" {
			// The follower may have logged the copy's delivery already.
			if _, err := tx.ExecContext(ctx, `UPDATE history_recipients SET delivery_queue_id = ?,
				status = COALESCE((SELECT status FROM history_deliveries WHERE queue_id = ?1 AND recipient = ?2 ORDER BY id DESC LIMIT 1), ''),
				status_time = (SELECT time FROM history_deliveries WHERE queue_id = ?1 AND recipient = ?2 ORDER BY id DESC LIMIT 1)
				WHERE message = ?3 AND recipient = ?2`, queueID, key, msg); err != nil {
				return fmt.Errorf("history release %s: %w", qid, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO history_events (message, time, kind, recipient, queue_id, detail)
			VALUES (?, ?, ?, ?, ?, ?)`, msg, at.Unix(), EventReleased, key, queueID, "by "+by); err != nil {
			return fmt.Errorf("history release %s: %w", qid, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history release %s: %w", qid, err)
	}
	return nil
}
