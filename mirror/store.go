// Package mirror is MailMirror, the encrypted replay cache: for a domain
// that opts in (`domain set D --mirror-days N --mirror-key age1…`), every
// message delivered to the domain's recipients (pass and tag) is kept for
// N days, encrypted with age to the customer's public key and an optional
// operator escrow key. The gateway holds public keys only: nothing on it
// can read a stored copy. When the customer's own server lost mail, the
// customer's identity, given at replay time and never stored, decrypts
// the copies and `mirror replay` hands them to Postfix again with their
// original envelope.
//
// Durability and the mail: Put returns after the encrypted file and its
// directory are fsynced and the index row is committed, before the milter
// answers. A mirror that cannot be written never holds the mail up: the
// milter logs the error, counts it, and the message flows without its
// mirror copy.
package mirror

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
)

// Store is the mirror: encrypted files under dataDir/mirror plus the index.
type Store struct {
	db  *store.DB
	dir string
	now func() time.Time
}

// Open migrates the schema and returns the store keeping files under
// dataDir/mirror.
func Open(ctx context.Context, db *store.DB, dataDir string) (*Store, error) {
	if err := db.MigrateSchema(ctx, "mirror", store.PortableSchema(migrations)); err != nil {
		return nil, err
	}
	dir := filepath.Join(dataDir, "mirror")
	// Owned like the data directory: the CLI, run as root, may be first.
	if err := store.MkdirOwned(dataDir, dir, 0o750); err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	return &Store{db: db, dir: dir, now: time.Now}, nil
}

// SetClock replaces the clock (tests, purge simulations).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Entry is what Put stores: one delivered copy of a message for the
// recipients of one domain.
type Entry struct {
	// Domain is the (normalised) domain whose mirror this is.
	Domain string
	// Sender and Recipients are the envelope of the copy, as the MTA gave
	// them; a replay uses them again.
	Sender     string
	Recipients []string
	// Raw is the message exactly as delivered to the recipients.
	Raw io.Reader
	// MessageID is the raw value of the Message-ID field ("" when none);
	// only its hash is stored (MessageIDHash).
	MessageID string
	// Days is how long the copy is kept; Keys are the age recipients it is
	// encrypted to (settings.Mirror.Recipients).
	Days int
	Keys []age.Recipient
}

// Put encrypts and stores e durably and returns the entry's id.
func (s *Store) Put(ctx context.Context, e Entry) (string, error) {
	if len(e.Recipients) == 0 || len(e.Keys) == 0 || e.Days <= 0 {
		return "", fmt.Errorf("mirror: entry for %s needs recipients, keys and days", e.Domain)
	}
	// The domain names a directory: only a normalised name may.
	if d, err := settings.NormalizeDomain(e.Domain); err != nil || d != e.Domain {
		return "", fmt.Errorf("mirror: bad domain %q", e.Domain)
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	received := s.now()
	rel := filepath.Join(e.Domain, received.UTC().Format("2006/01/02"), id+".age")
	size, stored, err := s.writeEncrypted(ctx, rel, e.Raw, e.Keys)
	if err != nil {
		return "", fmt.Errorf("mirror %s for %s: %w", id, e.Domain, err)
	}
	rcpts, err := json.Marshal(e.Recipients)
	if err == nil {
		_, err = s.db.ExecContext(ctx, `INSERT INTO mirror_entries (id, domain, received, expires, sender, recipients,
			size, stored_size, message_id_hash, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, e.Domain, received.Unix(), received.Add(time.Duration(e.Days)*24*time.Hour).Unix(),
			e.Sender, string(rcpts), size, stored, MessageIDHash(e.MessageID), rel)
	}
	if err != nil {
		os.Remove(filepath.Join(s.dir, rel))
		return "", fmt.Errorf("mirror %s for %s: index: %w", id, e.Domain, err)
	}
	return id, nil
}

// writeEncrypted encrypts raw to keys into dir/rel through a temporary
// file, fsyncs file and directories, and returns the plaintext and the
// stored sizes. ctx is checked while copying.
func (s *Store) writeEncrypted(ctx context.Context, rel string, raw io.Reader, keys []age.Recipient) (size, stored int64, err error) {
	path := filepath.Join(s.dir, rel)
	dir := filepath.Dir(path)
	if err := store.MkdirDurable(s.dir, dir); err != nil {
		return 0, 0, err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return 0, 0, fmt.Errorf("create file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	enc, err := age.Encrypt(bw, keys...)
	if err != nil {
		return 0, 0, fmt.Errorf("encrypt: %w", err)
	}
	size, err = io.Copy(enc, ctxReader{ctx, raw})
	if err == nil {
		err = enc.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("stat %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return 0, 0, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, 0, fmt.Errorf("rename into place: %w", err)
	}
	return size, fi.Size(), store.SyncDir(dir)
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// newID returns a random 16-hex-digit entry id.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mirror id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ErrNotFound is returned for an unknown entry id.
var ErrNotFound = errors.New("no such mirror entry (see `mailtower mirror list`)")
