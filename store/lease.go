package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Leases make a job that several gateways on one database run (purge,
// notices, digests) run on one of them at a time: a run first takes the
// job's lease row and gives it back when done. A lease runs out after its
// ttl, so a gateway that died holding one blocks the job for ttl at most.
var leaseMigrations = []string{
	`CREATE TABLE leases (
		name TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		until INTEGER NOT NULL
	);`,
}

func (db *DB) migrateLeases(ctx context.Context) error {
	return db.MigrateSchema(ctx, "leases", PortableSchema(leaseMigrations))
}

// Lease takes (or renews) the lease name for holder until now+ttl and
// reports whether holder has it: false while another holder's lease has
// not run out.
func (db *DB) Lease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET holder = ?2, until = ?3 WHERE leases.until < ?4 OR leases.holder = ?2`,
		name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives up holder's lease early (its job is done).
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := db.ExecContext(ctx, `UPDATE leases SET until = 0 WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("lease %s: %w", name, err)
	}
	return nil
}

// Holder names this process in leases: host name and process id.
func Holder() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}
