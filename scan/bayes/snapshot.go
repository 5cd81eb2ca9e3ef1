package bayes

import (
	"context"
	"fmt"
	"math"
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

// Snapshot returns a snapshot of the store. The database's generation is
// checked at most once per RefreshInterval. When it changed, a process
// that already has a snapshot keeps classifying with it while one
// background reload runs (reloading a large token table takes a while,
// and the milter must not wait for it): RefreshInterval is the staleness
// the caller accepts. With RefreshInterval 0 the snapshot is always
// current: a stale one is reloaded before Snapshot returns.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	snap, fresh := s.snap, s.snap != nil && time.Since(s.checked) < s.RefreshInterval
	s.mu.Unlock()
	if fresh {
		return snap, nil
	}
	var gen int64
	if err := s.db.QueryRowContext(ctx, `SELECT generation FROM bayes_state`).Scan(&gen); err != nil {
		return nil, fmt.Errorf("bayes: read generation: %w", err)
	}
	s.mu.Lock()
	s.checked = time.Now()
	s.mu.Unlock()
	switch {
	case snap != nil && snap.Generation == gen:
		return snap, nil
	case snap != nil && s.RefreshInterval > 0:
		s.reloadInBackground()
		return snap, nil
	}
	return s.reload(ctx, gen)
}

// reload loads the store unless another caller already loaded generation
// gen or newer meanwhile.
func (s *Store) reload(ctx context.Context, gen int64) (*Snapshot, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	cur := s.snap
	s.mu.Unlock()
	if cur != nil && cur.Generation >= gen {
		return cur, nil
	}
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.snap = snap
	s.mu.Unlock()
	return snap, nil
}

// reloadInBackground starts one reload unless one is running; a failed
// reload is retried at the next check.
func (s *Store) reloadInBackground() {
	if !s.loading.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.loading.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		s.reload(ctx, math.MaxInt64)
	}()
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
	begin := "BEGIN DEFERRED"
	if s.db.IsPostgres() {
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" // one consistent snapshot, no locks
	}
	if _, err := tx.ExecContext(ctx, begin); err != nil {
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

// ClassifyLeavingOut classifies a message that was learned as class as
// if it had not been: its own count is taken off each of its tokens and
// off the class total (leave-one-out), so that the probability is what
// the classifier says about mail it has not seen. Fitting the combiner on
// learned mail needs this; plain Classify on a learned message is
// overconfident.
func (s *Snapshot) ClassifyLeavingOut(p Params, tokens []uint64, class Class) Result {
	nspam, nham := s.NSpam, s.NHam
	if class == ClassSpam {
		nspam--
	} else {
		nham--
	}
	probs := make([]float64, 0, len(tokens))
	for _, t := range tokens {
		c, ok := s.tokens[t]
		if !ok {
			continue
		}
		switch {
		case class == ClassSpam && c.Spam > 0:
			c.Spam--
		case class == ClassHam && c.Ham > 0:
			c.Ham--
		}
		if c.Spam+c.Ham == 0 {
			continue
		}
		probs = append(probs, p.TokenProb(c, nspam, nham))
	}
	return p.Combine(probs)
}
