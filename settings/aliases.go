package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mailtower/mailtower/store"
)

// aliasMigrations is the schema of the aliases table (component
// "aliases"): extra addresses of a non-catch-all domain that its server
// accepts (they are recipients to validate, not users with policies).
// Changes bump settings_generation so that caches notice.
var aliasMigrations = []string{
	`CREATE TABLE aliases (
		address TEXT PRIMARY KEY,
		domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
		target TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL
	);
	CREATE INDEX aliases_domain ON aliases(domain);
	CREATE TRIGGER aliases_ins AFTER INSERT ON aliases BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER aliases_upd AFTER UPDATE ON aliases BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER aliases_del AFTER DELETE ON aliases BEGIN UPDATE settings_generation SET gen = gen + 1; END;`,
}

// Aliases returns the alias store on s's database (migrated by
// NewSQLStore).
func (s *SQLStore) Aliases() *AliasStore { return &AliasStore{db: s.db} }

// Alias is an accepted address that is not a user: a list or forward
// the customer's server expands.
type Alias struct {
	Address string    `json:"address"`
	Domain  string    `json:"domain"`
	Target  string    `json:"target,omitempty"` // informational: where the customer's server sends it
	Created time.Time `json:"created"`
}

// AliasStore keeps aliases.
type AliasStore struct {
	db *store.DB
}

// NewAliasStore migrates the aliases table (after the settings schema,
// whose domains it references) and returns the store. NewSQLStore
// migrates it too; SQLStore.Aliases returns the same store.
func NewAliasStore(ctx context.Context, db *store.DB) (*AliasStore, error) {
	if err := db.MigrateSchema(ctx, "aliases", store.Schema{SQLite: aliasMigrations, Postgres: pgAliasMigrations}); err != nil {
		return nil, err
	}
	return &AliasStore{db: db}, nil
}

// Add inserts an alias; its domain must exist.
func (s *AliasStore) Add(ctx context.Context, a Alias) error {
	addr, domain, err := NormalizeAddress(a.Address)
	if err != nil {
		return err
	}
	if a.Created.IsZero() {
		a.Created = time.Now()
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM domains WHERE name = ?`, domain).Scan(&n); err != nil {
		return fmt.Errorf("alias %s: %w", addr, err)
	}
	if n == 0 {
		return fmt.Errorf("alias %s: domain %s: %w", addr, domain, ErrNotFound)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO aliases (address, domain, target, created) VALUES (?, ?, ?, ?)`,
		addr, domain, a.Target, a.Created.Unix())
	if isUnique(err) {
		return fmt.Errorf("alias %s: %w", addr, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add alias %s: %w", addr, err)
	}
	return nil
}

// Remove deletes an alias.
func (s *AliasStore) Remove(ctx context.Context, address string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM aliases WHERE address = ?`, address)
	if err != nil {
		return fmt.Errorf("remove alias %s: %w", address, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("alias %s: %w", address, ErrNotFound)
	}
	return nil
}

// List returns a domain's aliases, or all when domain is empty.
func (s *AliasStore) List(ctx context.Context, domain string) ([]Alias, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT address, domain, target, created FROM aliases
		WHERE ? = '' OR domain = ? ORDER BY address`, domain, domain)
	if err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	defer rows.Close()
	var out []Alias
	for rows.Next() {
		var a Alias
		var created int64
		if err := rows.Scan(&a.Address, &a.Domain, &a.Target, &created); err != nil {
			return nil, fmt.Errorf("list aliases: %w", err)
		}
		a.Created = time.Unix(created, 0)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Exists reports whether address (normalised) is an alias.
func (s *AliasStore) Exists(ctx context.Context, address string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM aliases WHERE address = ?`, address).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("alias %s: %w", address, err)
	}
	return true, nil
}

// Target returns an alias's target (address normalised); found is false
// when address is no alias.
func (s *AliasStore) Target(ctx context.Context, address string) (target string, found bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT target FROM aliases WHERE address = ?`, address).Scan(&target)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("alias %s: %w", address, err)
	}
	return target, true, nil
}
