package quarantine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// importPage is how many messages ImportBodies reads the paths of at once.
const importPage = 500

// ImportBodies moves the message files of a SQLite gateway's quarantine
// (under dataDir/quarantine) into the PostgreSQL database that tx writes
// to, as Put stores them there: a quarantine_bodies row per message and
// the path "db:" + id. It runs inside `db migrate-to`'s transaction, after
// the index rows are copied. A file that is gone or no longer matches its
// recorded SHA-256 is left as it was (the entry stays listed, and release
// reports its file missing, as on SQLite); the files themselves are not
// removed. It returns a line for the migration's report.
func ImportBodies(dataDir string) func(ctx context.Context, tx *sql.Tx) (string, error) {
	dir := filepath.Join(dataDir, "quarantine")
	return func(ctx context.Context, tx *sql.Tx) (string, error) {
		var moved, damaged int
		var bytes int64
		after := ""
		for {
			page, err := filePaths(ctx, tx, after)
			if err != nil {
				return "", err
			}
			if len(page) == 0 {
				break
			}
			for _, m := range page {
				body, ok := readChecked(filepath.Join(dir, m.path), m.sum)
				if !ok {
					damaged++
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine_bodies (message_id, body) VALUES (?, ?)`, m.id, body); err != nil {
					return "", fmt.Errorf("quarantine body of %s: %w", m.id, err)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE quarantine_messages SET path = ? WHERE id = ?`, dbPathPrefix+m.id, m.id); err != nil {
					return "", fmt.Errorf("quarantine body of %s: %w", m.id, err)
				}
				moved++
				bytes += int64(len(body))
			}
			after = page[len(page)-1].id
		}
		return fmt.Sprintf("quarantine bodies: %d messages (%d bytes) moved into the database, %d files missing or damaged", moved, bytes, damaged), nil
	}
}

// fileMessage is a message whose body is still a file.
type fileMessage struct{ id, path, sum string }

// filePaths returns the next page (by id) of messages whose body is a
// file that has not been purged.
func filePaths(ctx context.Context, tx *sql.Tx, after string) ([]fileMessage, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, path, sha256 FROM quarantine_messages
		WHERE id > ? AND file_removed = 0 AND path NOT LIKE 'db:%' ORDER BY id LIMIT ?`, after, importPage)
	if err != nil {
		return nil, fmt.Errorf("quarantine bodies: %w", err)
	}
	defer rows.Close()
	var out []fileMessage
	for rows.Next() {
		var m fileMessage
		if err := rows.Scan(&m.id, &m.path, &m.sum); err != nil {
			return nil, fmt.Errorf("quarantine bodies: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// readChecked reads a message file and checks it against its SHA-256.
func readChecked(path, sum string) ([]byte, bool) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	h := sha256.Sum256(body)
	return body, strings.EqualFold(hex.EncodeToString(h[:]), sum)
}
