package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The sweep compares the files under the quarantine directory with the
// index in one merge pass: message files live in YYYY/MM/DD/ directories
// and the index is read ordered by path, so both sides come in the same
// order and neither is held in memory whole.
//
//   - a file with no row, or whose row says the file was removed, is an
//     orphan (a crash between a commit and an unlink, or before Put's
//     commit): removed when older than OrphanAge;
//   - a stale temporary file (".tmp-*", a Put that crashed) likewise;
//   - a row whose file is absent without file_removed is reported Missing;
//   - an empty day directory older than two days is removed.

// maxMissingReported caps the Missing list of one report.
const maxMissingReported = 1000

func (s *Store) sweep(ctx context.Context, now time.Time, opt PurgeOptions, rep *PurgeReport) error {
	if s.db.IsPostgres() {
		return nil // bodies are rows written and deleted with their index rows: nothing to reconcile
	}
	days, err := s.dayDirs()
	if err != nil {
		return fmt.Errorf("purge: sweep: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, path, file_removed FROM quarantine_messages ORDER BY path`)
	if err != nil {
		return fmt.Errorf("purge: sweep: %w", err)
	}
	defer rows.Close()
	type row struct {
		id, path string
		removed  bool
	}
	var cur *row
	next := func() error {
		cur = nil
		if rows.Next() {
			cur = &row{}
			return rows.Scan(&cur.id, &cur.path, &cur.removed)
		}
		return rows.Err()
	}
	if err := next(); err != nil {
		return fmt.Errorf("purge: sweep: %w", err)
	}
	var missing []Missing
	for _, day := range append(days, "\xff") { // the sentinel flushes rows after the last directory
		prefix := day + "/"
		for cur != nil && cur.path < prefix { // rows of directories that do not exist
			if !cur.removed {
				missing = append(missing, Missing{cur.id, cur.path})
			}
			if err := next(); err != nil {
				return fmt.Errorf("purge: sweep: %w", err)
			}
		}
		if day == "\xff" {
			break
		}
		entries, err := os.ReadDir(filepath.Join(s.dir, day))
		if err != nil {
			return fmt.Errorf("purge: sweep: %w", err)
		}
		left := len(entries)
		for _, e := range entries {
			rel := prefix + e.Name()
			for cur != nil && cur.path < rel {
				if !cur.removed {
					missing = append(missing, Missing{cur.id, cur.path})
				}
				if err := next(); err != nil {
					return fmt.Errorf("purge: sweep: %w", err)
				}
			}
			keep := cur != nil && cur.path == rel && !cur.removed
			if cur != nil && cur.path == rel {
				if err := next(); err != nil {
					return fmt.Errorf("purge: sweep: %w", err)
				}
			}
			if keep || e.IsDir() {
				continue
			}
			if s.removeOrphan(filepath.Join(s.dir, day, e.Name()), now, opt) {
				left--
				rep.Orphans++
			}
		}
		if left == 0 && !opt.DryRun && dayOlderThan(day, now, 48*time.Hour) {
			os.Remove(filepath.Join(s.dir, day)) // fails harmlessly if something was added
		}
	}
	rows.Close()
	return s.confirmMissing(ctx, missing, rep)
}

// removeOrphan removes (or, in a dry run, counts) one file without a live
// row when it is old enough.
func (s *Store) removeOrphan(path string, now time.Time, opt PurgeOptions) bool {
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < opt.OrphanAge {
		return false
	}
	if opt.DryRun {
		return true
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		opt.Log.Warn("quarantine purge: cannot remove orphan file", "path", path, "err", err)
		return false
	}
	return true
}

// confirmMissing re-reads candidate rows: a delete or purge running at the
// same time may have removed the file on purpose after the sweep's read.
func (s *Store) confirmMissing(ctx context.Context, cands []Missing, rep *PurgeReport) error {
	for _, m := range cands {
		var removed bool
		err := s.db.QueryRowContext(ctx, `SELECT file_removed FROM quarantine_messages WHERE id = ?`, m.ID).Scan(&removed)
		if err != nil || removed {
			continue
		}
		if _, err := os.Stat(s.Path(m.Path)); err == nil {
			continue
		}
		if len(rep.Missing) < maxMissingReported {
			rep.Missing = append(rep.Missing, m)
		}
	}
	return nil
}

// dayDirs lists the YYYY/MM/DD directories, sorted.
func (s *Store) dayDirs() ([]string, error) {
	var out []string
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || path == s.dir {
			return nil
		}
		rel, _ := filepath.Rel(s.dir, path)
		switch strings.Count(rel, string(filepath.Separator)) {
		case 0, 1:
			return nil
		case 2:
			out = append(out, filepath.ToSlash(rel))
		}
		return fs.SkipDir
	})
	sort.Strings(out)
	return out, err
}

func dayOlderThan(day string, now time.Time, age time.Duration) bool {
	t, err := time.Parse("2006/01/02", day)
	return err == nil && now.Sub(t) > age
}
