// Package notify sends virus notices to recipients and domain admins —
// never to the (forged) sender. Notices are queued durably in the database
// and sent through Postfix's re-injection listener by a background
// worker that retries with backoff, so a failure to send never affects
// the original message and a notice survives a restart.
package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/store"
)

var migrations = []string{
	`CREATE TABLE notices (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		rcpt TEXT NOT NULL,
		notice TEXT NOT NULL,
		created INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_try INTEGER NOT NULL,
		last_error TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX notices_next_try ON notices(next_try);`,
	// Notices that will never be sent: rows that cannot be decoded and
	// rows given up after the last retry. Kept for the admin to inspect,
	// never retried, so they cannot block the queue.
	`CREATE TABLE notices_failed (
		id INTEGER PRIMARY KEY,
		rcpt TEXT NOT NULL,
		notice TEXT NOT NULL,
		created INTEGER NOT NULL,
		attempts INTEGER NOT NULL,
		failed INTEGER NOT NULL,
		reason TEXT NOT NULL
	);`,
}

// backoff is the wait after the n-th failed attempt; after the last one
// a notice is given up (it is informational; the message is safe).
var backoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// noticeLease bounds how long a gateway that died while sending notices
// keeps the others from sending them.
const noticeLease = 5 * time.Minute

// Notifier queues and sends virus notices. It implements milter.Notifier.
type Notifier struct {
	db       *store.DB
	sender   reinject.Sender
	hostname string
	log      *slog.Logger
	now      func() time.Time
	kick     chan struct{}
	wg       sync.WaitGroup
	limit    limiter
	// alerts allows one outbound spam alert per sending user per hour.
	alerts limiter

	mu     sync.Mutex
	events Events
}

var _ milter.Notifier = (*Notifier)(nil)

// New migrates the notices table and returns a notifier; call Run to send.
func New(ctx context.Context, db *store.DB, sender reinject.Sender, hostname string, log *slog.Logger) (*Notifier, error) {
	if err := db.MigrateSchema(ctx, "notify", store.PortableSchema(migrations)); err != nil {
		return nil, err
	}
	n := &Notifier{db: db, sender: sender, hostname: hostname, log: log, now: time.Now, kick: make(chan struct{}, 1)}
	n.alerts.set(Limits{PerAddress: 1})
	return n, nil
}

// SetOptions sets the rate limits and the metrics sink; call it before
// Start and again after a configuration reload.
func (n *Notifier) SetOptions(o Options) {
	n.limit.set(o.Limits)
	n.mu.Lock()
	n.events = o.Events
	n.mu.Unlock()
}

// sink returns the metrics sink, or a no-op one.
func (n *Notifier) sink() Events {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.events == nil {
		return noEvents{}
	}
	return n.events
}

type noEvents struct{}

func (noEvents) NoticeSuppressed(string) {}
func (noEvents) NoticeFailed(string)     {}

// VirusFound queues one notice per addressee, within the rate limits (a
// notice over a limit is dropped with a warning and counted). Errors are
// logged: the message itself is already safe in the quarantine.
func (n *Notifier) VirusFound(ctx context.Context, v milter.VirusNotice) {
	body, err := encodeNotice(v)
	if err != nil {
		n.log.Error("virus notice: encode", "err", err, "queue_id", v.QueueID)
		return
	}
	for _, to := range v.To {
		if ok, why := n.limit.allow(strings.ToLower(to), n.now()); !ok {
			n.log.Warn("virus notice suppressed: rate limit", "reason", why, "queue_id", v.QueueID, "to", to)
			n.sink().NoticeSuppressed(why)
			continue
		}
		n.enqueue(ctx, to, body, v.QueueID)
	}
	n.wake()
}

// OutboundSpamHeld queues the alert for the admin(s) in a.To that an
// authenticated user's outbound mail was held as spam
// (policy.OutboundAlert): at most one per user per hour, so that a
// compromised account sending thousands of messages makes one alert; the
// others are logged and counted (reason user_limit).
func (n *Notifier) OutboundSpamHeld(ctx context.Context, a milter.VirusNotice) {
	if ok, _ := n.alerts.allow(strings.ToLower(a.User), n.now()); !ok {
		n.log.Info("outbound spam alert suppressed: one per user per hour", "queue_id", a.QueueID, "user", a.User)
		n.sink().NoticeSuppressed("user_limit")
		return
	}
	body, err := encodeNotice(a)
	if err != nil {
		n.log.Error("outbound spam alert: encode", "err", err, "queue_id", a.QueueID)
		return
	}
	for _, to := range a.To {
		n.enqueue(ctx, to, body, a.QueueID)
	}
	n.wake()
}

// enqueue stores one notice for to in the queue; an error is logged (the
// message itself is safe: a notice is information).
func (n *Notifier) enqueue(ctx context.Context, to, body, queueID string) {
	if _, err := n.db.ExecContext(ctx, `INSERT INTO notices (rcpt, notice, created, next_try) VALUES (?, ?, ?, ?)`,
		to, body, n.now().Unix(), n.now().Unix()); err != nil {
		n.log.Error("notice: queue", "err", err, "queue_id", queueID, "to", to)
	}
}

// wake makes the background sender look at the queue now.
func (n *Notifier) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Start sends due notices in the background until ctx ends: at once when
// a notice is queued, otherwise every interval. Wait waits for the end.
func (n *Notifier) Start(ctx context.Context, interval time.Duration) {
	n.wg.Add(1)
	go n.run(ctx, interval)
}

func (n *Notifier) run(ctx context.Context, interval time.Duration) {
	defer n.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n.SendDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.kick:
		}
	}
}

// Wait returns when the background sender has stopped.
func (n *Notifier) Wait() { n.wg.Wait() }

type pending struct {
	id       int64
	rcpt     string
	notice   milter.VirusNotice
	attempts int
}

// SendDue sends every notice whose time has come and returns how many
// were sent.
func (n *Notifier) SendDue(ctx context.Context) int {
	if n.db.IsPostgres() {
		// Gateways sharing the queue take turns, so that each notice goes
		// out once.
		holder := store.Holder()
		ok, err := n.db.Lease(ctx, "notices", holder, n.now(), noticeLease)
		if err != nil || !ok {
			if err != nil {
				n.log.Warn("virus notices: lease", "err", err)
			}
			return 0
		}
		defer n.db.ReleaseLease(context.WithoutCancel(ctx), "notices", holder)
	}
	rows, err := n.db.QueryContext(ctx, `SELECT id, rcpt, notice, attempts FROM notices WHERE next_try <= ? ORDER BY id LIMIT 100`,
		n.now().Unix())
	if err != nil {
		n.log.Error("virus notices: read queue", "err", err)
		return 0
	}
	var due []pending
	var bad []badRow
	for rows.Next() {
		var p pending
		var raw string
		if err := rows.Scan(&p.id, &p.rcpt, &raw, &p.attempts); err != nil {
			n.log.Error("virus notices: read queue", "err", err)
			break
		}
		notice, err := decodeNotice(raw)
		if err != nil {
			bad = append(bad, badRow{p.id, err})
			continue
		}
		p.notice = notice
		due = append(due, p)
	}
	rows.Close()
	for _, b := range bad {
		n.log.Error("virus notice cannot be decoded; moved to notices_failed", "err", b.err, "notice_id", b.id)
		n.moveAside(ctx, b.id, "undecodable: "+b.err.Error())
		n.sink().NoticeFailed("undecodable")
	}
	sent := 0
	for _, p := range due {
		if n.sendOne(ctx, p) {
			sent++
		}
	}
	return sent
}

func (n *Notifier) sendOne(ctx context.Context, p pending) bool {
	msg := compose(p.notice, p.rcpt, n.hostname, n.now())
	// The null sender: a notice must never cause a bounce loop.
	err := n.sender.Send(ctx, "", []string{p.rcpt}, bytes.NewReader(msg))
	log := n.log.With("queue_id", p.notice.QueueID, "to", p.rcpt, "virus", p.notice.Virus)
	what := "virus notice"
	if p.notice.Kind == policy.NoticeOutboundSpam {
		log, what = n.log.With("queue_id", p.notice.QueueID, "to", p.rcpt, "user", p.notice.User), "outbound spam alert"
	}
	if err == nil {
		if _, err := n.db.ExecContext(ctx, `DELETE FROM notices WHERE id = ?`, p.id); err != nil {
			log.Error(what+" sent but not dequeued (may be sent again)", "err", err)
		}
		log.Info(what + " sent")
		return true
	}
	if p.attempts >= len(backoff) {
		log.Error(what+" given up; moved to notices_failed", "err", err, "attempts", p.attempts+1)
		n.moveAside(ctx, p.id, "given up: "+err.Error())
		n.sink().NoticeFailed("given_up")
		return false
	}
	next := n.now().Add(backoff[p.attempts])
	log.Warn(what+" failed, will retry", "err", err, "retry_at", next.Format(time.RFC3339))
	if _, err := n.db.ExecContext(ctx, `UPDATE notices SET attempts = attempts + 1, next_try = ?, last_error = ? WHERE id = ?`,
		next.Unix(), fmt.Sprint(err), p.id); err != nil {
		log.Error("virus notice: reschedule", "err", err)
	}
	return false
}

type badRow struct {
	id  int64
	err error
}

// moveAside moves a queued notice to notices_failed, so that it is never
// tried again and never holds a place among the due rows.
func (n *Notifier) moveAside(ctx context.Context, id int64, reason string) {
	tx, err := n.db.BeginTx(ctx, nil)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO notices_failed (id, rcpt, notice, created, attempts, failed, reason)
			SELECT id, rcpt, notice, created, attempts, ?, ? FROM notices WHERE id = ?`, n.now().Unix(), reason, id)
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM notices WHERE id = ?`, id)
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	if err != nil {
		n.log.Error("virus notice: move aside", "err", err, "notice_id", id)
	}
}
