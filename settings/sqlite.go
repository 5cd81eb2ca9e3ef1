package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mailtower/mailtower/store"
)

// Store keeps domains and users. SQLStore is the embedded implementation;
// a PostgreSQL one can satisfy the same interface.
type Store interface {
	AddDomain(ctx context.Context, d Domain) error
	UpdateDomain(ctx context.Context, name string, change func(*Domain) error) error
	Domain(ctx context.Context, name string) (*Domain, error)
	Domains(ctx context.Context) ([]Domain, error)
	RemoveDomain(ctx context.Context, name string) error
	AddUser(ctx context.Context, u User) error
	UpdateUser(ctx context.Context, address string, change func(*User) error) error
	User(ctx context.Context, address string) (*User, error)
	Users(ctx context.Context, domain string) ([]User, error)
	RemoveUser(ctx context.Context, address string) error
	// Generation changes whenever any domain or user changes.
	Generation(ctx context.Context) (int64, error)
}

// SQLStore is the SQLite implementation of Store.
type SQLStore struct {
	db  *store.DB
	now func() time.Time
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore migrates the settings schema and returns the store.
func NewSQLStore(ctx context.Context, db *store.DB) (*SQLStore, error) {
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: time.Now}, nil
}

// Migrate brings the settings schema (domains, users, rules, aliases,
// retention overrides) up to date; other components whose tables refer to
// it (the quarantine reads the retention overrides) call it first.
func Migrate(ctx context.Context, db *store.DB) error {
	for _, m := range []struct {
		component  string
		migrations []string
		pg         []string
	}{{"settings", migrations, pgMigrations}, {"rules", ruleMigrations, pgRuleMigrations},
		{"aliases", aliasMigrations, pgAliasMigrations}, {"domain_retention", retentionMigrations, pgRetentionMigrations},
		{"domain_extras", extrasMigrations, pgExtrasMigrations}} {
		if err := db.MigrateSchema(ctx, m.component, store.Schema{SQLite: m.migrations, Postgres: m.pg}); err != nil {
			return err
		}
	}
	return adoptQuarantineOverrides(ctx, db)
}

// AddDomain inserts a new domain.
func (s *SQLStore) AddDomain(ctx context.Context, d Domain) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add domain %s: %w", d.Name, err)
	}
	defer tx.Rollback()
	if d.Created.IsZero() {
		d.Created = s.now()
	}
	args := append([]any{d.Name, d.Relay, d.CatchAll, d.Created.Unix(), d.TLS}, overrideArgs(d.Overrides)...)
	if _, err := tx.ExecContext(ctx, `INSERT INTO domains (name, relay, catch_all, created, tls, `+overrideCols+
		`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
		if isUnique(err) {
			return fmt.Errorf("domain %s: %w", d.Name, ErrExists)
		}
		return fmt.Errorf("add domain %s: %w", d.Name, err)
	}
	if err := writeNets(ctx, tx, d); err != nil {
		return err
	}
	if err := writeExtras(ctx, tx, d); err != nil {
		return err
	}
	return tx.Commit()
}

func writeNets(ctx context.Context, tx *sql.Tx, d Domain) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM domain_relay_nets WHERE domain = ?`, d.Name); err != nil {
		return fmt.Errorf("domain %s relay nets: %w", d.Name, err)
	}
	for _, p := range d.RelayNets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO domain_relay_nets (domain, cidr) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			d.Name, p.Masked().String()); err != nil {
			return fmt.Errorf("domain %s relay net %s: %w", d.Name, p, err)
		}
	}
	return nil
}

// UpdateDomain reads the domain, lets change modify it, and writes it back
// in one transaction.
func (s *SQLStore) UpdateDomain(ctx context.Context, name string, change func(*Domain) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update domain %s: %w", name, err)
	}
	defer tx.Rollback()
	d, err := getDomain(ctx, tx, name)
	if err != nil {
		return err
	}
	if err := change(d); err != nil {
		return err
	}
	args := append([]any{d.Relay, d.CatchAll, d.TLS}, overrideArgs(d.Overrides)...)
	args = append(args, name)
	if _, err := tx.ExecContext(ctx, `UPDATE domains SET relay = ?, catch_all = ?, tls = ?, `+overrideSet+` WHERE name = ?`, args...); err != nil {
		return fmt.Errorf("update domain %s: %w", name, err)
	}
	if err := writeNets(ctx, tx, *d); err != nil {
		return err
	}
	if err := writeExtras(ctx, tx, *d); err != nil {
		return err
	}
	return tx.Commit()
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func getDomain(ctx context.Context, q querier, name string) (*Domain, error) {
	var d Domain
	var created int64
	dest := append([]any{&d.Name, &d.Relay, &d.CatchAll, &created, &d.TLS}, overrideDest(&d.Overrides)...)
	err := q.QueryRowContext(ctx, `SELECT name, relay, catch_all, created, tls, `+overrideCols+
		` FROM domains WHERE name = ?`, name).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("domain %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("domain %s: %w", name, err)
	}
	d.Created = time.Unix(created, 0)
	nets, err := loadNets(ctx, q, name)
	d.RelayNets = nets
	if err != nil {
		return &d, err
	}
	return &d, loadExtras(ctx, q, &d)
}

func loadNets(ctx context.Context, q querier, name string) ([]netip.Prefix, error) {
	rows, err := q.QueryContext(ctx, `SELECT cidr FROM domain_relay_nets WHERE domain = ? ORDER BY cidr`, name)
	if err != nil {
		return nil, fmt.Errorf("domain %s relay nets: %w", name, err)
	}
	defer rows.Close()
	var nets []netip.Prefix
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("domain %s: stored relay net %q: %w", name, c, err)
		}
		nets = append(nets, p)
	}
	return nets, rows.Err()
}

// Domain returns one domain or ErrNotFound.
func (s *SQLStore) Domain(ctx context.Context, name string) (*Domain, error) {
	return getDomain(ctx, s.db, name)
}

// Domains lists all domains by name.
func (s *SQLStore) Domains(ctx context.Context) ([]Domain, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM domains ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	out := make([]Domain, 0, len(names))
	for _, n := range names {
		d, err := s.Domain(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, nil
}

// RemoveDomain deletes a domain with everything it owns: its users (and
// their overrides), aliases, relay networks, the rules scoped to it and
// its users, and its retention overrides, in one transaction.
func (s *SQLStore) RemoveDomain(ctx context.Context, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove domain %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM rules WHERE (scope_kind = 'domain' AND scope = ?)
		OR (scope_kind = 'user' AND scope IN (SELECT address FROM users WHERE domain = ?))`, name, name); err != nil {
		return fmt.Errorf("remove domain %s rules: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM domain_retention WHERE domain = ?`, name); err != nil {
		return fmt.Errorf("remove domain %s retention overrides: %w", name, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM domains WHERE name = ?`, name)
	if err := checkAffected(res, err, "domain "+name); err != nil {
		return err
	}
	return tx.Commit()
}

// Generation returns the settings change counter.
func (s *SQLStore) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.db.QueryRowContext(ctx, `SELECT gen FROM settings_generation WHERE id = 1`).Scan(&g)
	return g, err
}

func checkAffected(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

func isUnique(err error) bool { return store.IsUnique(err) }
