package settings

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// ImportSkip is one input line that ImportUsers did not add, and why.
type ImportSkip struct {
	Line   int    `json:"line"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// ImportResult reports what ImportUsers did.
type ImportResult struct {
	Added   []string     `json:"added"`
	Skipped []ImportSkip `json:"skipped"`
}

// ImportUsers adds the addresses read from r (one a line; blank lines
// and lines starting with # are ignored) as users of domain, all in one
// transaction: either every valid new address is added or, on a database
// error, none. Invalid addresses, addresses of another domain, duplicates
// within the input and existing users are skipped and reported.
func (s *SQLStore) ImportUsers(ctx context.Context, domain string, r io.Reader) (ImportResult, error) {
	var res ImportResult
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("import users: %w", err)
	}
	defer tx.Rollback()
	if _, err := getDomain(ctx, tx, domain); err != nil {
		return res, err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO users (address, domain, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return res, fmt.Errorf("import users: %w", err)
	}
	defer ins.Close()
	seen := map[string]int{}
	created := s.now().Unix()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		skip := func(format string, args ...any) {
			res.Skipped = append(res.Skipped, ImportSkip{Line: n, Value: line, Reason: fmt.Sprintf(format, args...)})
		}
		addr, d, err := NormalizeAddress(line)
		switch {
		case err != nil:
			skip("%v", err)
			continue
		case d != domain:
			skip("not an address of %s", domain)
			continue
		case seen[addr] > 0:
			skip("duplicate of line %d", seen[addr])
			continue
		}
		seen[addr] = n
		// ON CONFLICT rather than a failed statement: on PostgreSQL an
		// error ends the transaction.
		r, err := ins.ExecContext(ctx, addr, domain, created)
		if err != nil {
			return ImportResult{}, fmt.Errorf("import users: line %d %s: %w", n, addr, err)
		}
		if k, _ := r.RowsAffected(); k == 0 {
			skip("user exists already")
			continue
		}
		res.Added = append(res.Added, addr)
	}
	if err := sc.Err(); err != nil {
		return ImportResult{}, fmt.Errorf("import users: read: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return ImportResult{}, fmt.Errorf("import users: %w", err)
	}
	return res, nil
}
