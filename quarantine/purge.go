package quarantine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Purge and crash safety: rows go first, in one transaction per batch
// (expired items, then the messages left without items, each remembered
// in quarantine_gone), and the files after the commit. A crash between the
// two leaves files without rows; the orphan sweep removes those once they
// are older than OrphanAge (so that a Put in progress, which writes its
// file before its row, is never touched). Nothing is ever half-deleted.

// PurgeOptions tune a purge. Zero values take the defaults.
type PurgeOptions struct {
	// DryRun counts what would be removed and removes nothing.
	DryRun bool
	// Batch is how many expired items one transaction removes (default
	// 200). Between batches the purge rests at least Pause (default 10ms)
	// and at least as long as the batch took, so that it holds the write
	// lock at most half of the time and the milter's Put, which waits in
	// SQLite's busy handler, gets it between two batches.
	Batch int
	Pause time.Duration
	// OrphanAge is the age below which a file without a row is left alone
	// (default 1h).
	OrphanAge time.Duration
	// SkipOrphans skips the file sweep (benchmarks of the row purge).
	SkipOrphans bool
	Log         *slog.Logger
}

// GoneKeep is how long purged ids are remembered for error messages.
const GoneKeep = 365 * 24 * time.Hour

// PurgeReport says what a purge did (or, with DryRun, would do).
type PurgeReport struct {
	DryRun   bool  `json:"dry_run"`
	Items    int64 `json:"items"`
	Messages int64 `json:"messages"`
	Files    int64 `json:"files"`
	Bytes    int64 `json:"bytes"`
	Orphans  int64 `json:"orphans"`
	// Missing are messages whose file is gone although no delete or purge
	// removed it (disk damage, manual removal): they cannot be released.
	Missing []Missing `json:"missing,omitempty"`
	// Stuck are items left "releasing" by a release that crashed; release
	// them again (they may have been delivered once already).
	Stuck   []Item `json:"stuck,omitempty"`
	Batches int    `json:"batches"`
}

// Missing is one message whose file is missing.
type Missing struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

// Purge removes expired items, messages left without items and their
// files, sweeps orphan files and reports damaged rows.
func (s *Store) Purge(ctx context.Context, opt PurgeOptions) (PurgeReport, error) {
	if opt.Batch <= 0 {
		opt.Batch = 200
	}
	if opt.Pause <= 0 {
		opt.Pause = 10 * time.Millisecond
	}
	if opt.OrphanAge <= 0 {
		opt.OrphanAge = time.Hour
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	now := s.now()
	rep := PurgeReport{DryRun: opt.DryRun}
	var err error
	if opt.DryRun {
		err = s.countExpired(ctx, now, &rep)
	} else {
		err = s.purgeExpired(ctx, now, opt, &rep)
	}
	if err != nil {
		return rep, err
	}
	if !opt.SkipOrphans {
		if err := s.sweep(ctx, now, opt, &rep); err != nil {
			return rep, err
		}
	}
	if rep.Stuck, err = s.stuckReleases(ctx, now); err != nil {
		return rep, err
	}
	if !opt.DryRun {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM quarantine_gone WHERE purged < ?`, now.Add(-GoneKeep).Unix()); err != nil {
			return rep, fmt.Errorf("purge: forget old ids: %w", err)
		}
	}
	opt.Log.Info("quarantine purge", "dry_run", opt.DryRun, "items", rep.Items, "messages", rep.Messages,
		"files", rep.Files, "bytes", rep.Bytes, "orphans", rep.Orphans, "missing", len(rep.Missing), "stuck", len(rep.Stuck))
	return rep, nil
}

// purgeExpired removes expired items batch by batch. Items being released
// are kept: they are reported as stuck instead.
func (s *Store) purgeExpired(ctx context.Context, now time.Time, opt PurgeOptions, rep *PurgeReport) error {
	for {
		start := time.Now()
		n, err := s.purgeBatch(ctx, now, opt.Batch, rep)
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		if n == 0 {
			return nil
		}
		rep.Batches++
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(max(opt.Pause, time.Since(start))):
		}
	}
}

func (s *Store) purgeBatch(ctx context.Context, now time.Time, batch int, rep *PurgeReport) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, message_id, expires FROM quarantine_items
		WHERE expires <= ? AND state <> 'releasing' ORDER BY expires LIMIT ?`, now.Unix(), batch)
	if err != nil {
		return 0, err
	}
	var items []any
	expired := map[string]int64{} // message id -> latest expiry of its items
	var msgs []any
	for rows.Next() {
		var id, exp int64
		var msg string
		if err := rows.Scan(&id, &msg, &exp); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, id)
		if _, ok := expired[msg]; !ok {
			msgs = append(msgs, msg)
		}
		expired[msg] = max(expired[msg], exp)
	}
	rows.Close()
	if len(items) == 0 {
		return 0, rows.Err()
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine_items WHERE id IN `+placeholders(len(items)), items...); err != nil {
		return 0, fmt.Errorf("delete items: %w", err)
	}
	// Messages left without items go, remembered in quarantine_gone.
	rows, err = tx.QueryContext(ctx, `SELECT id, path, size, file_removed FROM quarantine_messages m
		WHERE id IN `+placeholders(len(msgs))+` AND NOT EXISTS (SELECT 1 FROM quarantine_items i WHERE i.message_id = m.id)`, msgs...)
	if err != nil {
		return 0, fmt.Errorf("find messages: %w", err)
	}
	var gone, tomb []any
	var paths []string
	var bytes int64
	for rows.Next() {
		var id, path string
		var size int64
		var removed bool
		if err := rows.Scan(&id, &path, &size, &removed); err != nil {
			rows.Close()
			return 0, err
		}
		gone, tomb = append(gone, id), append(tomb, id, expired[id], now.Unix())
		if !removed {
			paths, bytes = append(paths, path), bytes+size
		}
	}
	rows.Close()
	if len(gone) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine_gone (message_id, expired, purged) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(gone)), ", ")+
			` ON CONFLICT (message_id) DO UPDATE SET expired = excluded.expired, purged = excluded.purged`, tomb...); err != nil {
			return 0, fmt.Errorf("remember purged ids: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine_messages WHERE id IN `+placeholders(len(gone)), gone...); err != nil {
			return 0, fmt.Errorf("delete messages: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	rep.Items += int64(len(items))
	rep.Messages += int64(len(gone))
	rep.Files += s.removeFiles(paths)
	rep.Bytes += bytes
	return len(items), nil
}

// countExpired fills a dry run's counts.
func (s *Store) countExpired(ctx context.Context, now time.Time, rep *PurgeReport) error {
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM quarantine_items WHERE expires <= ? AND state <> 'releasing'`,
		now.Unix()).Scan(&rep.Items)
	if err != nil {
		return fmt.Errorf("purge: count: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN file_removed = 0 THEN 1 END), 0),
		COALESCE(SUM(CASE WHEN file_removed = 0 THEN size END), 0) FROM quarantine_messages m
		WHERE id IN (SELECT message_id FROM quarantine_items WHERE expires <= ?)
		AND NOT EXISTS (SELECT 1 FROM quarantine_items i WHERE i.message_id = m.id AND (i.expires > ? OR i.state = 'releasing'))`,
		now.Unix(), now.Unix()).Scan(&rep.Messages, &rep.Files, &rep.Bytes)
	if err != nil {
		return fmt.Errorf("purge: count: %w", err)
	}
	return nil
}

// stuckReleases lists items left releasing longer than StaleRelease.
func (s *Store) stuckReleases(ctx context.Context, now time.Time) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+itemColumns+` FROM quarantine_items i
		JOIN quarantine_messages m ON m.id = i.message_id WHERE i.state = 'releasing' AND i.state_changed < ?`,
		now.Add(-StaleRelease).Unix())
	if err != nil {
		return nil, fmt.Errorf("purge: stuck releases: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func placeholders(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }
