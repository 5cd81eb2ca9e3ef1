package bayes

import (
	"context"
	"database/sql"
	"errors"
)

// writer is one write transaction: message rows are written as it goes,
// token count changes are summed in memory and applied once at the end,
// so a batch of thousands of messages costs one upsert per distinct token.
type writer struct {
	tx       *sql.Tx
	greatest string // the engine's scalar max (store.DB.Greatest)
	now      int64
	delta    map[uint64]*[2]int64 // token -> spam, ham change
	dspam    int64
	dham     int64
	changed  bool
	get, ins *sql.Stmt
	upd, del *sql.Stmt
}

// write runs fn in one transaction and then applies the summed changes.
func (s *Store) write(ctx context.Context, fn func(*writer) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &writer{tx: tx, now: s.now().Unix(), delta: map[uint64]*[2]int64{}, greatest: s.db.Greatest()}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&w.get, `SELECT class, tokens FROM bayes_messages WHERE digest = ?`},
		{&w.ins, `INSERT INTO bayes_messages (digest, class, remembered, learned, tokens) VALUES (?, ?, ?, ?, ?)`},
		{&w.upd, `UPDATE bayes_messages SET class = ?, remembered = ?, learned = ?, tokens = ? WHERE digest = ?`},
		{&w.del, `DELETE FROM bayes_messages WHERE digest = ?`},
	} {
		if *p.st, err = tx.PrepareContext(ctx, p.sql); err != nil {
			return err
		}
		defer (*p.st).Close()
	}
	if err := fn(w); err != nil {
		return err
	}
	if !w.changed {
		return nil // nothing to commit; the deferred rollback ends the tx
	}
	if err := w.apply(ctx); err != nil {
		return err
	}
	return tx.Commit()
}

func (w *writer) add(toks []uint64, class Class, n int64) {
	i := 0
	if class == ClassHam {
		i = 1
	}
	for _, t := range toks {
		d := w.delta[t]
		if d == nil {
			d = new([2]int64)
			w.delta[t] = d
		}
		d[i] += n
	}
	if class == ClassSpam {
		w.dspam += n
	} else {
		w.dham += n
	}
	w.changed = true
}

func (w *writer) lookup(ctx context.Context, d Digest) (Class, []uint64, bool, error) {
	var class string
	var packed []byte
	err := w.get.QueryRowContext(ctx, d[:]).Scan(&class, &packed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return Class(class), unpackTokens(packed), true, nil
}

func (w *writer) learn(ctx context.Context, class Class, d Doc, remember bool) (Outcome, error) {
	old, oldToks, found, err := w.lookup(ctx, d.Digest)
	if err != nil {
		return "", err
	}
	rem := 0
	if remember {
		rem = 1
	}
	switch {
	case !found:
		if _, err := w.ins.ExecContext(ctx, d.Digest[:], string(class), rem, w.now, packTokens(d.Tokens)); err != nil {
			return "", err
		}
		w.add(d.Tokens, class, 1)
		return Learned, nil
	case old == class:
		if remember {
			// Counts stay; only the signature mark is added.
			_, err := w.tx.ExecContext(ctx, `UPDATE bayes_messages SET remembered = 1 WHERE digest = ? AND remembered = 0`, d.Digest[:])
			w.changed = true
			return Known, err
		}
		return Known, nil
	default:
		if _, err := w.upd.ExecContext(ctx, string(class), rem, w.now, packTokens(d.Tokens), d.Digest[:]); err != nil {
			return "", err
		}
		w.add(oldToks, old, -1)
		w.add(d.Tokens, class, 1)
		return Moved, nil
	}
}

func (w *writer) forget(ctx context.Context, d Digest) (Outcome, error) {
	old, oldToks, found, err := w.lookup(ctx, d)
	if err != nil || !found {
		return NotFound, err
	}
	if _, err := w.del.ExecContext(ctx, d[:]); err != nil {
		return "", err
	}
	w.add(oldToks, old, -1)
	return Forgotten, nil
}

// apply writes the summed token changes, drops tokens whose counts reached
// zero, and updates the totals and the generation.
func (w *writer) apply(ctx context.Context) error {
	gt := w.greatest
	up, err := w.tx.PrepareContext(ctx, `INSERT INTO bayes_tokens (id, spam, ham, last_seen)
		VALUES (?1, `+gt+`(?2, 0), `+gt+`(?3, 0), ?4)
		ON CONFLICT (id) DO UPDATE SET spam = `+gt+`(bayes_tokens.spam + ?2, 0), ham = `+gt+`(bayes_tokens.ham + ?3, 0),
			last_seen = CASE WHEN ?2 > 0 OR ?3 > 0 THEN `+gt+`(bayes_tokens.last_seen, ?4) ELSE bayes_tokens.last_seen END`)
	if err != nil {
		return err
	}
	defer up.Close()
	zap, err := w.tx.PrepareContext(ctx, `DELETE FROM bayes_tokens WHERE id = ? AND spam = 0 AND ham = 0`)
	if err != nil {
		return err
	}
	defer zap.Close()
	for _, t := range sortedKeys(w.delta) {
		d := w.delta[t]
		if d[0] == 0 && d[1] == 0 {
			continue
		}
		if _, err := up.ExecContext(ctx, int64(t), d[0], d[1], w.now); err != nil {
			return err
		}
		if d[0] < 0 || d[1] < 0 {
			if _, err := zap.ExecContext(ctx, int64(t)); err != nil {
				return err
			}
		}
	}
	_, err = w.tx.ExecContext(ctx, `UPDATE bayes_state SET nspam = `+gt+`(nspam + ?, 0), nham = `+gt+`(nham + ?, 0),
		generation = generation + 1`, w.dspam, w.dham)
	return err
}
