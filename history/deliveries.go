package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mailtower/mailtower/history/maillog"
)

// StatusNotice is the status of a deliveries row that records a notice
// Postfix queued for a message (its queue id is the row's remote_id).
const StatusNotice = "notice"

// LogSink is the follower's maillog.Sink on this store: each batch of
// events and the follower's position are committed in one transaction,
// so a crash neither loses nor repeats a line. name identifies the log
// (its path). observe, when set, sees every committed batch (metrics).
func (s *Store) LogSink(name string, observe func(maillog.Batch)) maillog.Sink {
	return &logSink{s: s, name: name, observe: observe}
}

type logSink struct {
	s       *Store
	name    string
	observe func(maillog.Batch)
	// last is the position last read or committed: a commit moves the
	// stored position only from there, so that two followers of one log
	// (serve and a stray `history follow`) cannot both store its lines.
	last    maillog.Position
	hasLast bool
}

// ErrMoved: another follower moved the stored position since this one read it.
var ErrMoved = errors.New("the log position was moved by another follower")

func (l *logSink) Position(ctx context.Context) (maillog.Position, bool, error) {
	var p maillog.Position
	var ino int64
	err := l.s.db.QueryRowContext(ctx, `SELECT inode, "offset", head FROM history_log_position WHERE name = ?`, l.name).
		Scan(&ino, &p.Offset, &p.Head)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("history log position: %w", err)
	}
	p.Inode = uint64(ino)
	l.last, l.hasLast = p, true
	return p, true, nil
}

func (l *logSink) Commit(ctx context.Context, b maillog.Batch) error {
	tx, err := l.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history deliveries: %w", err)
	}
	defer tx.Rollback()
	if len(b.Events) > 0 {
		if err := writeEvents(ctx, tx, b.Events); err != nil {
			return fmt.Errorf("history deliveries: %w", err)
		}
	}
	var res sql.Result
	if l.hasLast {
		res, err = tx.ExecContext(ctx, `UPDATE history_log_position SET inode = ?, "offset" = ?, head = ?, updated = ?
			WHERE name = ? AND inode = ? AND "offset" = ? AND head = ?`, int64(b.Pos.Inode), b.Pos.Offset, b.Pos.Head, l.s.now().Unix(),
			l.name, int64(l.last.Inode), l.last.Offset, l.last.Head)
	} else {
		res, err = tx.ExecContext(ctx, `INSERT INTO history_log_position (name, inode, "offset", head, updated) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, l.name, int64(b.Pos.Inode), b.Pos.Offset, b.Pos.Head, l.s.now().Unix())
	}
	if err != nil {
		return fmt.Errorf("history log position: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("history log position of %s: %w", l.name, ErrMoved)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history deliveries: %w", err)
	}
	l.last, l.hasLast = b.Pos, true
	if l.observe != nil {
		l.observe(b)
	}
	return nil
}

func writeEvents(ctx context.Context, tx *sql.Tx, events []maillog.Event) error {
	ins, err := tx.PrepareContext(ctx, `INSERT INTO history_deliveries (time, queue_id, recipient, orig_to, service, relay,
		delay, delays, dsn, status, reply, remote_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	upd, err := tx.PrepareContext(ctx, `UPDATE history_recipients SET status = ?, status_time = ?
		WHERE delivery_queue_id = ? AND recipient = ?`)
	if err != nil {
		return err
	}
	defer upd.Close()
	for _, ev := range events {
		t := ev.Time.Unix()
		switch ev.Kind {
		case maillog.KindDelivery:
			// The milter saw the recipient before Postfix rewrote it:
			// orig_to, when logged, is that address.
			rcpt := Key(ev.Recipient)
			if ev.OrigTo != "" {
				rcpt = Key(ev.OrigTo)
			}
			if _, err := ins.ExecContext(ctx, t, ev.QueueID, rcpt, ev.OrigTo, ev.Service, ev.Relay, ev.Delay, ev.Delays,
				ev.DSN, ev.Status, ev.Reply, ev.RemoteID); err != nil {
				return err
			}
			if _, err := upd.ExecContext(ctx, ev.Status, t, ev.QueueID, rcpt); err != nil {
				return err
			}
		case maillog.KindExpired:
			if _, err := ins.ExecContext(ctx, t, ev.QueueID, "", "", ev.Service, "", 0, "", "", ev.Status,
				"expired: returned to sender "+ev.Sender, ""); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE history_recipients SET status = 'expired', status_time = ?
				WHERE delivery_queue_id = ? AND status IN ('', 'deferred')`, t, ev.QueueID); err != nil {
				return err
			}
		case maillog.KindNotice:
			if _, err := ins.ExecContext(ctx, t, ev.QueueID, "", "", ev.Service, "", 0, "", "", StatusNotice,
				"notice to the sender queued as "+ev.NoticeID, ev.NoticeID); err != nil {
				return err
			}
		}
	}
	return nil
}
