package quarantine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Deleting marks rows deleted (they stay visible with --all until their
// retention ends, so that "who deleted it?" has an answer) and removes the
// message file once no recipient of the message is still quarantined.
// Rows are changed and the file is flagged removed in one transaction
// first; the file is unlinked after the commit. A crash in between leaves
// a file whose row says removed, which purge's orphan sweep deletes.

// Deleted is what one Delete did to a message.
type Deleted struct {
	ID          string   `json:"id"`
	Recipients  []string `json:"recipients"`
	Skipped     []Skip   `json:"skipped,omitempty"`
	FileRemoved bool     `json:"file_removed"`
}

// Delete marks the quarantined recipients of message id (or only those in
// recipients) deleted, and removes the file when none is left quarantined.
func (s *Store) Delete(ctx context.Context, id string, recipients []string, by string) (Deleted, error) {
	id = strings.TrimSpace(id)
	out := Deleted{ID: id}
	items, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return out, s.goneOrUnknown(ctx, id, err)
	}
	if err != nil {
		return out, err
	}
	want := map[string]bool{}
	for _, r := range recipients {
		want[recipientKey(r)] = true
	}
	var ids []int64
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Recipient] = true
		switch {
		case len(want) > 0 && !want[it.Recipient]:
		case it.State == StateQuarantined:
			ids = append(ids, it.Item)
			out.Recipients = append(out.Recipients, it.Recipient)
		default:
			out.Skipped = append(out.Skipped, Skip{it.Recipient, "not quarantined: " + it.State + it.History()})
		}
	}
	for r := range want {
		if !seen[r] {
			return out, fmt.Errorf("delete %s: recipient %s: %w", id, r, ErrRecipient)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	removed, err := s.markDeleted(ctx, ids, by)
	if err != nil {
		return out, fmt.Errorf("delete %s: %w", id, err)
	}
	out.FileRemoved = len(removed) > 0
	return out, nil
}

// DeleteMatching deletes every quarantined item that f selects (paging
// fields ignored), in batches, and returns how many items it deleted and
// how many files it removed.
func (s *Store) DeleteMatching(ctx context.Context, f Filter, by string) (items, files int, err error) {
	f.States, f.Limit, f.Offset, f.Cursor = []string{StateQuarantined}, 0, 0, ""
	where, args, err := f.where(false, s.db.IsPostgres())
	if err != nil {
		return 0, 0, fmt.Errorf("quarantine delete: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT i.id FROM quarantine_items i JOIN quarantine_messages m ON m.id = i.message_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY i.id`, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("quarantine delete: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("quarantine delete: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("quarantine delete: %w", err)
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		removed, err := s.markDeleted(ctx, ids[:n], by)
		if err != nil {
			return items, files, fmt.Errorf("quarantine delete: %w", err)
		}
		items, files, ids = items+n, files+len(removed), ids[n:]
	}
	return items, files, nil
}

// markDeleted marks items deleted and flags the files of messages left
// with no quarantined or releasing recipient removed, in one transaction;
// then it unlinks those files. It returns the removed paths.
func (s *Store) markDeleted(ctx context.Context, ids []int64, by string) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := s.now().Unix()
	in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if _, err := tx.ExecContext(ctx, `UPDATE quarantine_items SET state = 'deleted', state_changed = ?, state_by = ?
		WHERE state = 'quarantined' AND id IN `+in, append([]any{now, by}, args...)...); err != nil {
		return nil, fmt.Errorf("mark deleted: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.path FROM quarantine_messages m
		WHERE m.file_removed = 0 AND m.id IN (SELECT message_id FROM quarantine_items WHERE id IN `+in+`)
		AND NOT EXISTS (SELECT 1 FROM quarantine_items i WHERE i.message_id = m.id AND i.state IN ('quarantined', 'releasing'))`, args...)
	if err != nil {
		return nil, fmt.Errorf("find files to remove: %w", err)
	}
	var msgIDs, paths []string
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			rows.Close()
			return nil, err
		}
		msgIDs, paths = append(msgIDs, id), append(paths, path)
	}
	rows.Close()
	for _, id := range msgIDs {
		if _, err := tx.ExecContext(ctx, `UPDATE quarantine_messages SET file_removed = 1 WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("flag file removed: %w", err)
		}
		if !s.db.IsPostgres() {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine_bodies WHERE message_id = ?`, id); err != nil {
			return nil, fmt.Errorf("remove message body: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.removeFiles(paths)
	return paths, nil
}

// removeFiles unlinks message files after their rows were committed and
// returns how many it removed (a file already gone is not counted). A
// failure is left to the orphan sweep of the next purge.
func (s *Store) removeFiles(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if strings.HasPrefix(p, dbPathPrefix) {
			n++ // its body row went with the committed transaction
			continue
		}
		if err := os.Remove(s.Path(p)); err == nil {
			n++
		}
	}
	return n
}
