package quarantine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Where the message bodies are: files under the data directory (SQLite),
// or rows of quarantine_bodies (PostgreSQL), so that any gateway sharing
// the database reaches every message. Rows whose path starts with
// dbPathPrefix have their body in the database.
const dbPathPrefix = "db:"

// readBody reads a message to be stored in the database and returns it
// with its SHA-256. Messages are bounded by the size limit the milter
// enforces, so holding one in memory is what the milter does already.
func readBody(raw io.Reader) ([]byte, string, error) {
	var b bytes.Buffer
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(&b, h), raw); err != nil {
		return nil, "", fmt.Errorf("read message: %w", err)
	}
	return b.Bytes(), hex.EncodeToString(h.Sum(nil)), nil
}

// OpenMessage opens the stored message of it (ErrFileMissing if it is
// gone): its file, or its row in the database.
func (s *Store) OpenMessage(ctx context.Context, it Item) (io.ReadSeekCloser, error) {
	if !strings.HasPrefix(it.Path, dbPathPrefix) {
		f, err := os.Open(s.Path(it.Path))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Path(it.Path), ErrFileMissing)
		}
		return f, nil
	}
	var body []byte
	err := s.db.QueryRowContext(ctx, `SELECT body FROM quarantine_bodies WHERE message_id = ?`, it.ID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", it.ID, ErrFileMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", it.ID, err)
	}
	return bodyReader{bytes.NewReader(body)}, nil
}

// bodyReader is a body read from the database.
type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }
