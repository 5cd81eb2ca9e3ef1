package greylist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailtower/mailtower/store"
)

// ErrNotFound is returned when removing an allow entry that does not exist.
var ErrNotFound = errors.New("not found")

// migrations is the greylist component's schema, append-only. Times are
// Unix milliseconds.
var migrations = []string{
	`CREATE TABLE greylist_triplets (
		client TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL,
		first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
		passed_at INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 1,
		PRIMARY KEY (client, sender, recipient)
	) WITHOUT ROWID;
	CREATE INDEX greylist_triplets_last_seen ON greylist_triplets(last_seen);
	CREATE TABLE greylist_clients (
		net TEXT PRIMARY KEY, passes INTEGER NOT NULL, last_seen INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE greylist_allow (
		net TEXT PRIMARY KEY, comment TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL
	);
	CREATE TABLE greylist_generation (id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL);
	INSERT INTO greylist_generation (id, gen) VALUES (1, 0);`,
}

// pgMigrations is the same schema on PostgreSQL.
var pgMigrations = []string{
	`CREATE TABLE greylist_triplets (
		client TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL,
		first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
		passed_at BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 1,
		PRIMARY KEY (client, sender, recipient)
	);
	CREATE INDEX greylist_triplets_last_seen ON greylist_triplets(last_seen);
	CREATE TABLE greylist_clients (
		net TEXT PRIMARY KEY, passes BIGINT NOT NULL, last_seen BIGINT NOT NULL
	);
	CREATE TABLE greylist_allow (
		net TEXT PRIMARY KEY, comment TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL
	);
	CREATE TABLE greylist_generation (id BIGINT PRIMARY KEY CHECK (id = 1), gen BIGINT NOT NULL);
	INSERT INTO greylist_generation (id, gen) VALUES (1, 0);`,
}

// On a shared database several gateways write the same rows, each from
// what it saw, so a write merges with the stored row instead of replacing
// it: a pass recorded by one gateway is never undone by another's older
// pending view, and counts never go down. (SQLite has one writer, whose
// view is the newest: it replaces.)
const (
	saveTripletSQLite = `INSERT OR REPLACE INTO greylist_triplets (` + tripletCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	saveTripletShared = `INSERT INTO greylist_triplets AS t (` + tripletCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client, sender, recipient) DO UPDATE SET
		first_seen = CASE WHEN t.passed_at != 0 AND excluded.passed_at = 0 THEN t.first_seen ELSE excluded.first_seen END,
		passed_at = CASE WHEN t.passed_at != 0 AND (excluded.passed_at = 0 OR t.passed_at < excluded.passed_at)
			THEN t.passed_at ELSE excluded.passed_at END,
		last_seen = GREATEST(t.last_seen, excluded.last_seen),
		attempts = GREATEST(t.attempts, excluded.attempts)`
	saveClientSQLite = `INSERT OR REPLACE INTO greylist_clients (net, passes, last_seen) VALUES (?, ?, ?)`
	saveClientShared = `INSERT INTO greylist_clients AS c (net, passes, last_seen) VALUES (?, ?, ?)
		ON CONFLICT (net) DO UPDATE SET passes = GREATEST(c.passes, excluded.passes),
		last_seen = GREATEST(c.last_seen, excluded.last_seen)`
)

// SQLStore is the SQL implementation of Store (SQLite or PostgreSQL).
type SQLStore struct {
	db *store.DB
	// saveTriplet and saveClient are the engine's writes (see above).
	saveTriplet, saveClient string
	// The hot-path look-ups, prepared once (database/sql keeps them
	// prepared per connection).
	getTriplet, getClient *sql.Stmt
}

var _ Store = (*SQLStore)(nil)

// Shared reports whether other gateways write the same store (PostgreSQL),
// so that the Greylister must not answer "not stored" from memory.
func (s *SQLStore) Shared() bool { return s.db.IsPostgres() }

// NewSQLStore migrates the greylist tables and returns the store.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	if err := db.MigrateSchema(ctx, "greylist", store.Schema{SQLite: migrations, Postgres: pgMigrations}); err != nil {
		return nil, err
	}
	s := &SQLStore{db: db, saveTriplet: saveTripletSQLite, saveClient: saveClientSQLite}
	if db.IsPostgres() {
		s.saveTriplet, s.saveClient = saveTripletShared, saveClientShared
	}
	var err error
	if s.getTriplet, err = db.PrepareContext(ctx, `SELECT `+tripletCols+` FROM greylist_triplets
		WHERE client = ? AND sender = ? AND recipient = ?`); err != nil {
		return nil, fmt.Errorf("greylist: %w", err)
	}
	if s.getClient, err = db.PrepareContext(ctx, `SELECT passes, last_seen FROM greylist_clients WHERE net = ?`); err != nil {
		return nil, fmt.Errorf("greylist: %w", err)
	}
	return s, nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

const tripletCols = `client, sender, recipient, first_seen, last_seen, passed_at, attempts`

type scanner interface{ Scan(dest ...any) error }

func scanTriplet(s scanner) (Triplet, error) {
	var t Triplet
	var first, last, passed int64
	err := s.Scan(&t.Client, &t.Sender, &t.Recipient, &first, &last, &passed, &t.Attempts)
	t.FirstSeen, t.LastSeen, t.PassedAt = fromMS(first), fromMS(last), fromMS(passed)
	return t, err
}

// Triplet implements Store.
func (s *SQLStore) Triplet(ctx context.Context, client, sender, recipient string) (Triplet, bool, error) {
	t, err := scanTriplet(s.getTriplet.QueryRowContext(ctx, client, sender, recipient))
	if errors.Is(err, sql.ErrNoRows) {
		return Triplet{}, false, nil
	}
	if err != nil {
		return Triplet{}, false, fmt.Errorf("greylist triplet: %w", err)
	}
	return t, true, nil
}

// Client implements Store.
func (s *SQLStore) Client(ctx context.Context, net string) (Client, bool, error) {
	c := Client{Net: net}
	var last int64
	err := s.getClient.QueryRowContext(ctx, net).Scan(&c.Passes, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, false, nil
	}
	if err != nil {
		return Client{}, false, fmt.Errorf("greylist client %s: %w", net, err)
	}
	c.LastSeen = fromMS(last)
	return c, true, nil
}

// Keys implements Store.
func (s *SQLStore) Keys(ctx context.Context, fn func(key string)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT client, sender, recipient FROM greylist_triplets`)
	if err != nil {
		return fmt.Errorf("greylist keys: %w", err)
	}
	defer rows.Close()
	var t Triplet
	for rows.Next() {
		if err := rows.Scan(&t.Client, &t.Sender, &t.Recipient); err != nil {
			return fmt.Errorf("greylist keys: %w", err)
		}
		fn(t.Key())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("greylist keys: %w", err)
	}
	crows, err := s.db.QueryContext(ctx, `SELECT net FROM greylist_clients`)
	if err != nil {
		return fmt.Errorf("greylist keys: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var net string
		if err := crows.Scan(&net); err != nil {
			return fmt.Errorf("greylist keys: %w", err)
		}
		fn(net)
	}
	if err := crows.Err(); err != nil {
		return fmt.Errorf("greylist keys: %w", err)
	}
	return nil
}

// Save implements Store.
func (s *SQLStore) Save(ctx context.Context, ts []Triplet, cs []Client) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("greylist save: %w", err)
	}
	defer tx.Rollback()
	// The rows are written without a cancellable context: with one, the
	// driver runs every statement in a goroutine of its own to watch it.
	// The transaction still ends when ctx does; rows are checked below.
	octx, ctx := ctx, context.WithoutCancel(ctx)
	if s.db.IsPostgres() {
		// Gateways writing overlapping rows lock them in one order, so
		// that their transactions never deadlock.
		slices.SortFunc(ts, func(a, b Triplet) int { return strings.Compare(a.Key(), b.Key()) })
		slices.SortFunc(cs, func(a, b Client) int { return strings.Compare(a.Net, b.Net) })
	}
	if len(ts) > 0 {
		st, err := tx.PrepareContext(ctx, s.saveTriplet)
		if err != nil {
			return fmt.Errorf("greylist save: %w", err)
		}
		defer st.Close()
		for i, t := range ts {
			if i%256 == 0 && octx.Err() != nil {
				return fmt.Errorf("greylist save: %w", octx.Err())
			}
			if _, err := st.ExecContext(ctx, t.Client, t.Sender, t.Recipient, ms(t.FirstSeen), ms(t.LastSeen), ms(t.PassedAt), t.Attempts); err != nil {
				return fmt.Errorf("greylist save triplet: %w", err)
			}
		}
	}
	for _, c := range cs {
		if _, err := tx.ExecContext(ctx, s.saveClient, c.Net, c.Passes, ms(c.LastSeen)); err != nil {
			return fmt.Errorf("greylist save client %s: %w", c.Net, err)
		}
	}
	return tx.Commit()
}

// purgeBatch bounds one purge statement, so that the write lock is held
// briefly and the milter's quarantine writes get the database in between.
const purgeBatch = 5000

// Purge implements Store: pending triplets older than the retry window,
// and passed triplets and clients not seen within Remember, are deleted,
// in batches.
func (s *SQLStore) Purge(ctx context.Context, now time.Time, e Expiry) (int64, error) {
	pendingBefore, rememberBefore := ms(now.Add(-e.RetryWindow)), ms(now.Add(-e.Remember))
	var total int64
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM greylist_triplets WHERE (client, sender, recipient) IN (SELECT client, sender, recipient
			FROM greylist_triplets WHERE passed_at = 0 AND first_seen < ? LIMIT ?)`, []any{pendingBefore, purgeBatch}},
		{`DELETE FROM greylist_triplets WHERE (client, sender, recipient) IN (SELECT client, sender, recipient
			FROM greylist_triplets WHERE passed_at != 0 AND last_seen < ? LIMIT ?)`, []any{rememberBefore, purgeBatch}},
		{`DELETE FROM greylist_clients WHERE net IN (SELECT net FROM greylist_clients WHERE last_seen < ? LIMIT ?)`,
			[]any{rememberBefore, purgeBatch}},
	} {
		for {
			res, err := s.db.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return total, fmt.Errorf("greylist purge: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
			if n < purgeBatch {
				break
			}
		}
	}
	return total, nil
}

// Allows implements Store.
func (s *SQLStore) Allows(ctx context.Context) ([]Allow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT net, comment, created FROM greylist_allow ORDER BY net`)
	if err != nil {
		return nil, fmt.Errorf("greylist allows: %w", err)
	}
	defer rows.Close()
	var out []Allow
	for rows.Next() {
		var a Allow
		var net string
		var created int64
		if err := rows.Scan(&net, &a.Comment, &created); err != nil {
			return nil, fmt.Errorf("greylist allows: %w", err)
		}
		p, err := netip.ParsePrefix(net)
		if err != nil {
			return nil, fmt.Errorf("greylist allows: stored network %q: %w", net, err)
		}
		a.Net, a.Created = p, fromMS(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddAllow implements Store; allowing a network again updates its comment.
func (s *SQLStore) AddAllow(ctx context.Context, a Allow) error {
	if a.Created.IsZero() {
		a.Created = time.Now()
	}
	return s.edit(ctx, func(tx *sql.Tx) (int64, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO greylist_allow (net, comment, created) VALUES (?, ?, ?)
			ON CONFLICT (net) DO UPDATE SET comment = excluded.comment`, a.Net.Masked().String(), a.Comment, ms(a.Created))
		return 0, err
	})
}

// RemoveAllow implements Store.
func (s *SQLStore) RemoveAllow(ctx context.Context, net netip.Prefix) error {
	return s.edit(ctx, func(tx *sql.Tx) (int64, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM greylist_allow WHERE net = ?`, net.Masked().String())
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, fmt.Errorf("allowed network %s: %w", net, ErrNotFound)
		}
		return 0, nil
	})
}

// edit runs an admin change and bumps the generation in one transaction.
func (s *SQLStore) edit(ctx context.Context, change func(*sql.Tx) (int64, error)) error {
	_, err := s.editCount(ctx, change)
	return err
}

func (s *SQLStore) editCount(ctx context.Context, change func(*sql.Tx) (int64, error)) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("greylist: %w", err)
	}
	defer tx.Rollback()
	n, err := change(tx)
	if err != nil {
		return 0, fmt.Errorf("greylist: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE greylist_generation SET gen = gen + 1 WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("greylist generation: %w", err)
	}
	return n, tx.Commit()
}

// Generation implements Store.
func (s *SQLStore) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.db.QueryRowContext(ctx, `SELECT gen FROM greylist_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("greylist generation: %w", err)
	}
	return g, nil
}
