package greylist

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
)

// matchNet reports whether a stored network string overlaps f.Net.
func (f Filter) matchNet(net string) bool {
	if !f.Net.IsValid() {
		return true
	}
	p, err := netip.ParsePrefix(net)
	return err == nil && p.Overlaps(f.Net)
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, f Filter) ([]Triplet, []Client, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tripletCols+` FROM greylist_triplets
		WHERE (? = '' OR sender = ?) AND (? = '' OR recipient = ?) ORDER BY last_seen DESC`,
		f.Sender, f.Sender, f.Recipient, f.Recipient)
	if err != nil {
		return nil, nil, fmt.Errorf("greylist list: %w", err)
	}
	defer rows.Close()
	var ts []Triplet
	for rows.Next() {
		t, err := scanTriplet(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("greylist list: %w", err)
		}
		if f.matchNet(t.Client) {
			ts = append(ts, t)
		}
		if f.Limit > 0 && len(ts) >= f.Limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("greylist list: %w", err)
	}
	rows.Close()
	cs, err := s.clients(ctx, f)
	return ts, cs, err
}

func (s *SQLStore) clients(ctx context.Context, f Filter) ([]Client, error) {
	if f.Sender != "" || f.Recipient != "" {
		return nil, nil // clients have no sender or recipient
	}
	rows, err := s.db.QueryContext(ctx, `SELECT net, passes, last_seen FROM greylist_clients ORDER BY passes DESC, net`)
	if err != nil {
		return nil, fmt.Errorf("greylist clients: %w", err)
	}
	defer rows.Close()
	var cs []Client
	for rows.Next() {
		var c Client
		var last int64
		if err := rows.Scan(&c.Net, &c.Passes, &last); err != nil {
			return nil, fmt.Errorf("greylist clients: %w", err)
		}
		c.LastSeen = fromMS(last)
		if f.matchNet(c.Net) && (f.Limit <= 0 || len(cs) < f.Limit) {
			cs = append(cs, c)
		}
	}
	return cs, rows.Err()
}

// Clear implements Store: the matching triplets go, and with them the
// matching client networks' pass counts (so an auto-allowed network is
// greylisted again).
func (s *SQLStore) Clear(ctx context.Context, f Filter) (int64, error) {
	f.Limit = 0
	ts, cs, err := s.List(ctx, f)
	if err != nil {
		return 0, err
	}
	return s.editCount(ctx, func(tx *sql.Tx) (int64, error) {
		var n int64
		for _, t := range ts {
			res, err := tx.ExecContext(ctx, `DELETE FROM greylist_triplets WHERE client = ? AND sender = ? AND recipient = ?`,
				t.Client, t.Sender, t.Recipient)
			if err != nil {
				return n, err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		for _, c := range cs {
			res, err := tx.ExecContext(ctx, `DELETE FROM greylist_clients WHERE net = ?`, c.Net)
			if err != nil {
				return n, err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return n, nil
	})
}
