package bayes

import (
	"context"
	"fmt"
	"time"
)

// Snapshot is an immutable in-memory copy of the store for classifying:
// every token's counts, the totals and the remembered digests, as of one
// generation. Classification reads it without touching the database.
//
// The whole token table is held (about 40 bytes a token); Prune keeps it
// bounded on long-running gateways.
type Snapshot struct {
	Generation int64
	NSpam      int
	NHam       int
	tokens     map[uint64]Counts
	remembered map[Digest]struct{}
}

// Counts returns a token's counts (zero when never seen).
func (s *Snapshot) Counts(token uint64) Counts { return s.tokens[token] }

// Remembered reports whether d is a not-spam signature.
func (s *Snapshot) Remembered(d Digest) bool {
	_, ok := s.remembered[d]
	return ok
}

// Classify computes the spam probability of a message's tokens.
func (s *Snapshot) Classify(p Params, tokens []uint64) Result {
	probs := make([]float64, 0, len(tokens))
	for _, t := range tokens {
		c, ok := s.tokens[t]
		if !ok {
			continue // f(w) = X = 0.5 would be dropped by MinDev anyway
		}
		probs = append(probs, p.TokenProb(c, s.NSpam, s.NHam))
	}
	return p.Combine(probs)
}

// Snapshot returns the current snapshot, reloading it when another
// process or goroutine changed the store. The generation is checked at
// most once per RefreshInterval; concurrent callers wait for one reload
// rather than each loading the table.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.snap != nil && now.Sub(s.checked) < s.RefreshInterval {
		return s.snap, nil
	}
	var gen int64
	if err := s.db.QueryRowContext(ctx, `SELECT generation FROM bayes_state`).Scan(&gen); err != nil {
		return nil, fmt.Errorf("bayes: read generation: %w", err)
	}
	s.checked = now
	if s.snap != nil && s.snap.Generation == gen {
		return s.snap, nil
	}
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.snap = snap
	return snap, nil
}

// load reads the whole store in one read transaction, so that counts,
// totals and generation agree. The store's DSN makes BeginTx take the
// write lock (BEGIN IMMEDIATE), which would stall learners: a deferred
// transaction on a dedicated connection reads a WAL snapshot instead.
func (s *Store) load(ctx context.Context) (*Snapshot, error) {
	tx, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("bayes: load: %w", err)
	}
	defer tx.Close()
	if _, err := tx.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return nil, fmt.Errorf("bayes: load: %w", err)
	}
	defer tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	snap := &Snapshot{remembered: map[Digest]struct{}{}}
	var ntok int
	if err := tx.QueryRowContext(ctx, `SELECT generation, nspam, nham, (SELECT COUNT(*) FROM bayes_tokens) FROM bayes_state`).
		Scan(&snap.Generation, &snap.NSpam, &snap.NHam, &ntok); err != nil {
		return nil, fmt.Errorf("bayes: load state: %w", err)
	}
	snap.tokens = make(map[uint64]Counts, ntok)
	rows, err := tx.QueryContext(ctx, `SELECT id, spam, ham FROM bayes_tokens`)
	if err != nil {
		return nil, fmt.Errorf("bayes: load tokens: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c Counts
		if err := rows.Scan(&id, &c.Spam, &c.Ham); err != nil {
			return nil, fmt.Errorf("bayes: load tokens: %w", err)
		}
		snap.tokens[uint64(id)] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bayes: load tokens: %w", err)
	}
	rrows, err := tx.QueryContext(ctx, `SELECT digest FROM bayes_messages WHERE remembered = 1`)
	if err != nil {
		return nil, fmt.Errorf("bayes: load signatures: %w", err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var b []byte
		if err := rrows.Scan(&b); err != nil {
			return nil, fmt.Errorf("bayes: load signatures: %w", err)
		}
		var d Digest
		copy(d[:], b)
		snap.remembered[d] = struct{}{}
	}
	return snap, rrows.Err()
}
