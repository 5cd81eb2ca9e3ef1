package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// purgeBatch bounds the entries one purge transaction removes, so that
// the milter's writes get the database between batches.
const purgeBatch = 500

// PurgeReport says what a purge removed.
type PurgeReport struct {
	// Entries and Bytes are the removed entries and their files' size.
	Entries int
	Bytes   int64
	// Missing are the entries whose file was already gone.
	Missing []string
}

// Purge removes every entry whose days have passed: its file, then its
// index row and replay records. It works in batches until none is left or
// ctx ends.
func (s *Store) Purge(ctx context.Context) (PurgeReport, error) {
	var rep PurgeReport
	now := s.now().Unix()
	for ctx.Err() == nil {
		rows, err := s.db.QueryContext(ctx, `SELECT id, path, stored_size FROM mirror_entries WHERE expires <= ?
			ORDER BY expires LIMIT ?`, now, purgeBatch)
		if err != nil {
			return rep, fmt.Errorf("mirror purge: %w", err)
		}
		type victim struct {
			id, path string
			size     int64
		}
		var batch []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.id, &v.path, &v.size); err != nil {
				rows.Close()
				return rep, fmt.Errorf("mirror purge: %w", err)
			}
			batch = append(batch, v)
		}
		rows.Close()
		if len(batch) == 0 {
			return rep, nil
		}
		for _, v := range batch {
			// The file first: a crash in between leaves a row without a
			// file (reported as missing next time), never a file nobody
			// knows about.
			path := filepath.Join(s.dir, v.path)
			err := os.Remove(path)
			if errors.Is(err, fs.ErrNotExist) {
				rep.Missing = append(rep.Missing, v.id)
			} else if err != nil {
				return rep, fmt.Errorf("mirror purge %s: %w", v.id, err)
			}
			// The day's directory goes with its last file (an expired
			// entry's day is never today's, where Put writes).
			os.Remove(filepath.Dir(path))
			if _, err := s.db.ExecContext(ctx, `DELETE FROM mirror_entries WHERE id = ?`, v.id); err != nil {
				return rep, fmt.Errorf("mirror purge %s: %w", v.id, err)
			}
			rep.Entries++
			rep.Bytes += v.size
		}
	}
	return rep, ctx.Err()
}
