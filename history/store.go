// Package history keeps mail history: a row per message the milter
// decided and per recipient the policy daemon refused at RCPT, with each
// recipient's verdict and action, and the delivery attempts Postfix
// logged for it (read from Postfix's log by package history/maillog).
// It answers searches (search.go), tells one message's whole story
// (show.go), purges by age in batches (purge.go) and replays stored
// evidence under proposed settings (whatif.go).
//
// History is not mail: the front-ends hand their rows to a Writer, which
// writes them in batches from its own goroutine and drops them (counted)
// rather than ever delay or fail a message.
package history

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/address"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/store"
)

// Stages say where a row comes from.
const (
	// StageData is a message the milter decided at end of DATA.
	StageData = "data"
	// StageRcpt is a recipient the policy daemon refused at RCPT.
	StageRcpt = "rcpt"
)

// VerdictRefused is the verdict of a recipient refused at RCPT.
const VerdictRefused = "refused"

// Store is the history on the shared database.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// Open migrates the history schema and returns the store.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	if err := db.MigrateSchema(ctx, "history", store.Schema{SQLite: migrations, Postgres: pgMigrations}); err != nil {
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Message is what the milter or the policy daemon records.
type Message struct {
	Time  time.Time
	Stage string
	// QueueID is Postfix's queue id ("" when a refusal came before one).
	QueueID    string
	ClientAddr string
	ClientName string
	Helo       string
	Sender     string
	HeaderFrom string
	Subject    string
	MessageID  string
	Size       int64
	// Score is the highest spam score of any recipient's verdict.
	Score float64
	// Findings are the evidence the verdicts were made from, spam
	// findings with the points the combiner gave them, so that their sum
	// is the score (what-if replays them with scan.SumCombiner).
	Findings   []scan.Finding
	Outbound   bool
	Recipients []Recipient
}

// Recipient is one recipient's fate.
type Recipient struct {
	Address string
	// Verdict is clean, spam, content, virus, or refused (StageRcpt).
	Verdict string
	// Action is pass, tag, quarantine, delete or reject at end of DATA;
	// the policy daemon's reason at RCPT (greylisted, unknown-user,
	// block-sender, size, ...).
	Action string
	Reason string
	Score  float64
	// Threshold is the spam threshold the score was compared with.
	Threshold float64
	// SenderAllowed: an allow-sender rule skipped the spam verdict.
	SenderAllowed bool
	QuarantineID  string
	// DeliveryQueueID is the queue id that carries this recipient's
	// copy: the message's own, or a re-injected copy's.
	DeliveryQueueID string
}

// Key is the form addresses are stored and compared in (lower case,
// canonical where the address parses): the milter's, the policy
// daemon's and Postfix's log's spellings of one address meet here.
func Key(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "<>")
	if c, err := address.Canonical(s); err == nil {
		return c
	}
	return strings.ToLower(s)
}

// domainOf is the domain part of a key ("" without one).
func domainOf(key string) string {
	if i := strings.LastIndexByte(key, '@'); i >= 0 {
		return key[i+1:]
	}
	return ""
}

// Write stores messages in one transaction. A recipient whose delivery
// Postfix logged before this row was written gets that status now.
func (s *Store) Write(ctx context.Context, msgs []Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history write: %w", err)
	}
	defer tx.Rollback()
	msgStmt, err := tx.PrepareContext(ctx, `INSERT INTO history_messages (received, stage, queue_id, client_addr, client_name,
		helo, sender, header_from, subject, message_id, size, score, findings, outbound)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return fmt.Errorf("history write: %w", err)
	}
	defer msgStmt.Close()
	rcptStmt, err := tx.PrepareContext(ctx, `INSERT INTO history_recipients (message, received, recipient, domain, sender,
		sender_domain, verdict, action, reason, score, threshold, sender_allowed, quarantine_id, delivery_queue_id, status, status_time)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(d.status, ''), d.time
		FROM (SELECT 1) AS one LEFT JOIN (SELECT status, time FROM history_deliveries WHERE queue_id = ? AND recipient = ? AND ? != ''
			ORDER BY id DESC LIMIT 1) d ON 1 = 1`)
	if err != nil {
		return fmt.Errorf("history write: %w", err)
	}
	defer rcptStmt.Close()
	for _, m := range msgs {
		if m.Time.IsZero() {
			m.Time = s.now()
		}
		if m.Stage == "" {
			m.Stage = StageData
		}
		findings, err := encodeFindings(m.Findings)
		if err != nil {
			return fmt.Errorf("history write (queue id %s): %w", m.QueueID, err)
		}
		sender := Key(m.Sender)
		var id int64
		if err := msgStmt.QueryRowContext(ctx, m.Time.Unix(), m.Stage, m.QueueID, m.ClientAddr, m.ClientName, m.Helo, sender,
			clean(m.HeaderFrom), clean(m.Subject), NormMessageID(m.MessageID), m.Size, m.Score, findings, m.Outbound).Scan(&id); err != nil {
			return fmt.Errorf("history write (queue id %s): %w", m.QueueID, err)
		}
		for _, r := range m.Recipients {
			rcpt := Key(r.Address)
			dq := r.DeliveryQueueID
			if _, err := rcptStmt.ExecContext(ctx, id, m.Time.Unix(), rcpt, domainOf(rcpt), sender, domainOf(sender),
				r.Verdict, r.Action, clean(r.Reason), r.Score, r.Threshold, r.SenderAllowed, r.QuarantineID, dq,
				dq, rcpt, dq); err != nil {
				return fmt.Errorf("history write (queue id %s): %w", m.QueueID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history write: %w", err)
	}
	return nil
}

// NormMessageID is the stored form of a Message-ID: one <id>, or "".
func NormMessageID(s string) string {
	s = strings.Trim(clean(s), "<> ")
	if s == "" {
		return ""
	}
	return "<" + s + ">"
}

// clean makes a header value one line of bounded length: history shows
// it, it never needs more.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > 998 {
		s = strings.ToValidUTF8(s[:998], "")
	}
	return s
}
