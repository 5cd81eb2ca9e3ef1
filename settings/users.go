package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AddUser inserts a user; its domain must exist.
func (s *SQLStore) AddUser(ctx context.Context, u User) error {
	if u.Created.IsZero() {
		u.Created = s.now()
	}
	if _, err := s.Domain(ctx, u.Domain); err != nil {
		return fmt.Errorf("user %s: %w", u.Address, err)
	}
	args := append([]any{u.Address, u.Domain, u.Created.Unix()}, overrideArgs(u.Overrides)...)
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (address, domain, created, `+overrideCols+
		`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if isUnique(err) {
		return fmt.Errorf("user %s: %w", u.Address, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add user %s: %w", u.Address, err)
	}
	return nil
}

// UpdateUser reads a user, lets change modify it and writes it back.
func (s *SQLStore) UpdateUser(ctx context.Context, address string, change func(*User) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update user %s: %w", address, err)
	}
	defer tx.Rollback()
	u, err := getUser(ctx, tx, address)
	if err != nil {
		return err
	}
	if err := change(u); err != nil {
		return err
	}
	args := append(overrideArgs(u.Overrides), address)
	if _, err := tx.ExecContext(ctx, `UPDATE users SET `+overrideSet+` WHERE address = ?`, args...); err != nil {
		return fmt.Errorf("update user %s: %w", address, err)
	}
	return tx.Commit()
}

func getUser(ctx context.Context, q querier, address string) (*User, error) {
	var u User
	var created int64
	dest := append([]any{&u.Address, &u.Domain, &created}, overrideDest(&u.Overrides)...)
	err := q.QueryRowContext(ctx, `SELECT address, domain, created, `+overrideCols+
		` FROM users WHERE address = ?`, address).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %s: %w", address, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", address, err)
	}
	u.Created = time.Unix(created, 0)
	return &u, nil
}

// User returns one user or ErrNotFound.
func (s *SQLStore) User(ctx context.Context, address string) (*User, error) {
	return getUser(ctx, s.db, address)
}

// Users lists a domain's users, or every user when domain is empty.
func (s *SQLStore) Users(ctx context.Context, domain string) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT address, domain, created, `+overrideCols+
		` FROM users WHERE ? = '' OR domain = ? ORDER BY address`, domain, domain)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(append([]any{&u.Address, &u.Domain, &created}, overrideDest(&u.Overrides)...)...); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.Created = time.Unix(created, 0)
		out = append(out, u)
	}
	return out, rows.Err()
}

// RemoveUser deletes a user.
func (s *SQLStore) RemoveUser(ctx context.Context, address string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE address = ?`, address)
	return checkAffected(res, err, "user "+address)
}
