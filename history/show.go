package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// ErrNotFound: no history for that id or queue id.
var ErrNotFound = errors.New("not in the history")

// Story is everything known about one message, from RCPT to the last
// delivery attempt of each copy.
type Story struct {
	ID         int64          `json:"id"`
	Time       time.Time      `json:"time"`
	Stage      string         `json:"stage"`
	QueueID    string         `json:"queue_id"`
	ClientAddr string         `json:"client_addr"`
	ClientName string         `json:"client_name"`
	Helo       string         `json:"helo"`
	Sender     string         `json:"sender"`
	HeaderFrom string         `json:"header_from"`
	Subject    string         `json:"subject"`
	MessageID  string         `json:"message_id"`
	Size       int64          `json:"size"`
	Score      float64        `json:"score"`
	Outbound   bool           `json:"outbound,omitempty"`
	Findings   []scan.Finding `json:"findings"`
	Recipients []StoryRcpt    `json:"recipients"`
	// Events are what happened later (release).
	Events []Event `json:"events,omitempty"`
	// Deliveries are every attempt Postfix logged for the message's
	// queue ids, oldest first, with notices to the sender.
	Deliveries []Delivery `json:"deliveries"`
}

// StoryRcpt is one recipient's fate.
type StoryRcpt struct {
	Recipient     string     `json:"recipient"`
	Verdict       string     `json:"verdict"`
	Action        string     `json:"action"`
	Reason        string     `json:"reason,omitempty"`
	Score         float64    `json:"score"`
	Threshold     float64    `json:"threshold"`
	SenderAllowed bool       `json:"sender_allowed,omitempty"`
	QuarantineID  string     `json:"quarantine_id,omitempty"`
	DeliveryQueue string     `json:"delivery_queue_id,omitempty"`
	Status        string     `json:"status"`
	StatusTime    *time.Time `json:"status_time,omitempty"`
}

// Event is something done to a message after it was decided.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	Recipient string    `json:"recipient,omitempty"`
	QueueID   string    `json:"queue_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// Delivery is one delivery attempt from Postfix's log.
type Delivery struct {
	Time      time.Time `json:"time"`
	QueueID   string    `json:"queue_id"`
	Recipient string    `json:"recipient,omitempty"`
	Service   string    `json:"service"`
	Relay     string    `json:"relay,omitempty"`
	Delay     float64   `json:"delay"`
	Delays    string    `json:"delays,omitempty"`
	DSN       string    `json:"dsn,omitempty"`
	Status    string    `json:"status"`
	Reply     string    `json:"reply"`
	RemoteID  string    `json:"remote_id,omitempty"`
}

// Show returns the story of the message with history id ref, or of the
// newest message with queue id ref.
func (s *Store) Show(ctx context.Context, ref string) (Story, error) {
	ref = strings.TrimSpace(ref)
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		err = s.db.QueryRowContext(ctx, `SELECT id FROM history_messages WHERE queue_id = ? ORDER BY id DESC LIMIT 1`, ref).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = s.db.QueryRowContext(ctx, `SELECT message FROM history_recipients WHERE delivery_queue_id = ? ORDER BY id DESC LIMIT 1`, ref).Scan(&id)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return Story{}, fmt.Errorf("history show %s: %w", ref, ErrNotFound)
		}
		if err != nil {
			return Story{}, fmt.Errorf("history show %s: %w", ref, err)
		}
	}
	st, err := s.story(ctx, id)
	if err != nil {
		return st, fmt.Errorf("history show %s: %w", ref, err)
	}
	return st, nil
}

func (s *Store) story(ctx context.Context, id int64) (Story, error) {
	st := Story{ID: id}
	var t int64
	var findings string
	err := s.db.QueryRowContext(ctx, `SELECT received, stage, queue_id, client_addr, client_name, helo, sender, header_from,
		subject, message_id, size, score, findings, outbound FROM history_messages WHERE id = ?`, id).Scan(&t, &st.Stage,
		&st.QueueID, &st.ClientAddr, &st.ClientName, &st.Helo, &st.Sender, &st.HeaderFrom, &st.Subject, &st.MessageID,
		&st.Size, &st.Score, &findings, &st.Outbound)
	if errors.Is(err, sql.ErrNoRows) {
		return st, ErrNotFound
	}
	if err != nil {
		return st, err
	}
	st.Time = time.Unix(t, 0).UTC()
	if st.Findings, err = decodeFindings(findings); err != nil {
		return st, fmt.Errorf("findings: %w", err)
	}
	if st.Recipients, err = s.storyRecipients(ctx, id); err != nil {
		return st, err
	}
	if st.Events, err = s.events(ctx, id); err != nil {
		return st, err
	}
	qids := []string{}
	seen := map[string]bool{}
	addQ := func(q string) {
		if q != "" && !seen[q] {
			seen[q] = true
			qids = append(qids, q)
		}
	}
	addQ(st.QueueID)
	for _, r := range st.Recipients {
		addQ(r.DeliveryQueue)
	}
	for _, e := range st.Events {
		addQ(e.QueueID)
	}
	// Short queue ids repeat: only attempts after the message came in.
	st.Deliveries, err = s.deliveries(ctx, qids, st.Time.Add(-time.Minute))
	return st, err
}

func (s *Store) storyRecipients(ctx context.Context, id int64) ([]StoryRcpt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT recipient, verdict, action, reason, score, threshold, sender_allowed,
		quarantine_id, delivery_queue_id, status, status_time FROM history_recipients WHERE message = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoryRcpt
	for rows.Next() {
		var r StoryRcpt
		var at sql.NullInt64
		if err := rows.Scan(&r.Recipient, &r.Verdict, &r.Action, &r.Reason, &r.Score, &r.Threshold, &r.SenderAllowed,
			&r.QuarantineID, &r.DeliveryQueue, &r.Status, &at); err != nil {
			return nil, err
		}
		if at.Valid {
			t := time.Unix(at.Int64, 0).UTC()
			r.StatusTime = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) events(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT time, kind, recipient, queue_id, detail FROM history_events WHERE message = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&t, &e.Kind, &e.Recipient, &e.QueueID, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = time.Unix(t, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) deliveries(ctx context.Context, qids []string, since time.Time) ([]Delivery, error) {
	out := []Delivery{}
	if len(qids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(qids)+1)
	for _, q := range qids {
		args = append(args, q)
	}
	args = append(args, since.Unix())
	rows, err := s.db.QueryContext(ctx, `SELECT time, queue_id, recipient, service, relay, delay, delays, dsn, status, reply, remote_id
		FROM history_deliveries WHERE queue_id IN (?`+strings.Repeat(", ?", len(qids)-1)+`) AND time >= ? ORDER BY time, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d Delivery
		var t int64
		if err := rows.Scan(&t, &d.QueueID, &d.Recipient, &d.Service, &d.Relay, &d.Delay, &d.Delays, &d.DSN, &d.Status,
			&d.Reply, &d.RemoteID); err != nil {
			return nil, err
		}
		d.Time = time.Unix(t, 0).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
