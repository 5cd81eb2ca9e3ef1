package bayes

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailtower/mailtower/store"
)

// Class is what a message was learned as.
type Class string

// The two classes.
const (
	ClassSpam Class = "spam"
	ClassHam  Class = "ham"
)

// ParseClass reads "spam" or "ham".
func ParseClass(s string) (Class, error) {
	switch Class(s) {
	case ClassSpam, ClassHam:
		return Class(s), nil
	}
	return "", fmt.Errorf("class %q: want spam or ham", s)
}

// Digest identifies a message by its normalised content (see NewDigest).
type Digest [32]byte

// String is the digest in hex.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Doc is one message ready to be learned: its digest and token hashes.
type Doc struct {
	Digest Digest
	Tokens []uint64
}

// Outcome is what learning or forgetting did to one message.
type Outcome string

// The outcomes, as printed by `mailtower learn`.
const (
	Learned   Outcome = "learned"   // new message, counted
	Known     Outcome = "known"     // already learned as this class: unchanged
	Moved     Outcome = "moved"     // learned before as the other class: moved
	Forgotten Outcome = "forgotten" // removed by Forget
	NotFound  Outcome = "not-found" // Forget of a message never learned
)

// Stats are the store's totals.
type Stats struct {
	Spam, Ham  int
	Tokens     int
	Generation int64
}

// Store is the token store in the shared database. It is safe for
// concurrent use, and several processes may use the same database.
type Store struct {
	db  *store.DB
	now func() time.Time
	tok *Tokenizer

	// RefreshInterval bounds how often Snapshot asks the database whether
	// the store changed, and is the staleness Snapshot accepts while a
	// changed store reloads in the background; 0 = always current.
	RefreshInterval time.Duration

	mu      sync.Mutex // guards snap and checked
	snap    *Snapshot
	checked time.Time
	loadMu  sync.Mutex  // one load at a time
	loading atomic.Bool // a background reload runs
}

// Open migrates the bayes tables and returns the store; tok tokenizes
// messages for LearnHam (nil = NewTokenizer(DefaultLimits)).
func Open(ctx context.Context, db *store.DB, tok *Tokenizer) (*Store, error) {
	if err := db.MigrateSchema(ctx, "bayes", store.PortableSchema(migrations)); err != nil {
		return nil, err
	}
	if tok == nil {
		tok = NewTokenizer(DefaultLimits)
	}
	return &Store{db: db, now: time.Now, tok: tok, RefreshInterval: time.Second}, nil
}

// Learn learns docs as class in one transaction and returns one outcome
// per doc. A doc already learned as class is Known (unchanged); one
// learned as the other class is Moved. remember marks the docs as
// not-spam signatures (release and remember); it requires ClassHam.
func (s *Store) Learn(ctx context.Context, class Class, docs []Doc, remember bool) ([]Outcome, error) {
	if _, err := ParseClass(string(class)); err != nil {
		return nil, err
	}
	if remember && class != ClassHam {
		return nil, errors.New("bayes: only ham can be remembered")
	}
	out := make([]Outcome, len(docs))
	err := s.write(ctx, func(w *writer) error {
		for i, d := range docs {
			o, err := w.learn(ctx, class, d, remember)
			if err != nil {
				return fmt.Errorf("learn %s: %w", d.Digest, err)
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bayes: learn %s: %w", class, err)
	}
	return out, nil
}

// Forget removes the learned messages with these digests, undoing their
// counts exactly; a digest never learned is NotFound.
func (s *Store) Forget(ctx context.Context, digests []Digest) ([]Outcome, error) {
	out := make([]Outcome, len(digests))
	err := s.write(ctx, func(w *writer) error {
		for i, d := range digests {
			o, err := w.forget(ctx, d)
			if err != nil {
				return fmt.Errorf("forget %s: %w", d, err)
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bayes: forget: %w", err)
	}
	return out, nil
}

// Known reports whether the message with digest was released with
// "remember" (learned as ham as a not-spam signature).
func (s *Store) Known(ctx context.Context, d Digest) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT remembered FROM bayes_messages WHERE digest = ?`, d[:]).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("bayes: known %s: %w", d, err)
	}
	return n == 1, nil
}

// Stats returns the learned totals.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.QueryRowContext(ctx, `SELECT nspam, nham, generation, (SELECT COUNT(*) FROM bayes_tokens) FROM bayes_state`).
		Scan(&st.Spam, &st.Ham, &st.Generation, &st.Tokens)
	if err != nil {
		return st, fmt.Errorf("bayes: stats: %w", err)
	}
	return st, nil
}

// Prune deletes tokens not seen in a learned message since before whose
// total count is at most maxCount (rare, stale tokens carry little
// evidence and most of the table's size). It returns how many went.
func (s *Store) Prune(ctx context.Context, before time.Time, maxCount int) (int64, error) {
	var n int64
	err := s.write(ctx, func(w *writer) error {
		res, err := w.tx.ExecContext(ctx, `DELETE FROM bayes_tokens WHERE last_seen < ? AND spam + ham <= ?`,
			before.Unix(), maxCount)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		w.changed = n > 0
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bayes: prune: %w", err)
	}
	return n, nil
}

func packTokens(toks []uint64) []byte {
	b := make([]byte, 8*len(toks))
	for i, t := range toks {
		binary.LittleEndian.PutUint64(b[8*i:], t)
	}
	return b
}

func unpackTokens(b []byte) []uint64 {
	toks := make([]uint64, len(b)/8)
	for i := range toks {
		toks[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return toks
}

// sortedKeys returns m's keys in ascending order (B-tree friendly writes).
func sortedKeys[V any](m map[uint64]V) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
