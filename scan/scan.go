// Package scan defines the seam between mailtower and its scan engines:
// a Scanner reports findings about a message, Run runs every configured
// scanner concurrently, and Decide turns the findings into one verdict per
// recipient. What to do with a verdict is the recipient's policy's job
// (package settings), not the scanner's.
package scan

import (
	"context"
	"io"
)

// Category is the kind of a finding; the order virus > content > spam is
// the order in which they win.
type Category string

// The finding categories, and Clean for a verdict with none.
const (
	Clean   Category = "clean"
	Spam    Category = "spam"
	Content Category = "content"
	Virus   Category = "virus"
)

// Rank orders categories: a higher rank wins.
func (c Category) Rank() int {
	switch c {
	case Virus:
		return 3
	case Content:
		return 2
	case Spam:
		return 1
	}
	return 0
}

// Finding is one thing a scanner found.
type Finding struct {
	// Scanner names the engine: clamd, spamd, rspamd, rules, bayes, ...
	Scanner string `json:"scanner"`
	// Category is virus, content or spam.
	Category Category `json:"category"`
	// Rule names the signature or rule that fired (virus name, SA rule, ...).
	Rule string `json:"rule"`
	// Score is the spam points this finding adds (SpamAssassin's scale).
	// Virus and content findings need none.
	Score float64 `json:"score"`
	// Reason is a short human explanation.
	Reason string `json:"reason"`
	// Recipients restricts the finding to these recipients (a content rule
	// of one user's scope); empty means it applies to every recipient.
	Recipients []string `json:"recipients,omitempty"`
	// Rules are the names of sub-rules for a summary finding (spamd's
	// symbols), listed in the X-Mailtower-Rules header.
	Rules []string `json:"rules,omitempty"`
	// Value is the engine's own measurement behind a spam finding when
	// the combiner reads it as evidence: bayes' spam probability,
	// spamd's and rspamd's score. In a Verdict, Score is then the points
	// the combiner gave this evidence (see Combiner).
	Value float64 `json:"value,omitempty"`
}

// AppliesTo reports whether the finding concerns recipient.
func (f Finding) AppliesTo(recipient string) bool {
	if len(f.Recipients) == 0 {
		return true
	}
	for _, r := range f.Recipients {
		if r == recipient {
			return true
		}
	}
	return false
}

// Scanner is one scan engine. Scan must be safe for concurrent use, must
// honour ctx, and must return an error — never "no findings" — when it
// could not scan the message: the caller turns that error into a tempfail.
type Scanner interface {
	// Name is the engine's short name, used in findings, logs and metrics.
	Name() string
	// Scan reads the message and returns what it found.
	Scan(ctx context.Context, msg *Message) ([]Finding, error)
}

// Envelope is the SMTP transaction around a message. Sender and
// Recipients are exactly as the MTA gave them (milter actions must name
// them so); compare them through package address.
type Envelope struct {
	QueueID    string   `json:"queue_id"`
	ClientAddr string   `json:"client_addr"`
	ClientHost string   `json:"client_host"`
	Helo       string   `json:"helo"`
	Sender     string   `json:"sender"`
	Recipients []string `json:"recipients"`
	// Outbound is set for a customer's outbound mail (settings.Outbound:
	// relay network, sender of its domain, every recipient outside the
	// served domains; or an authenticated user to recipients outside
	// them): it is scanned for viruses only.
	Outbound bool `json:"outbound,omitempty"`
	// AuthUser is the login of a client that authenticated (submission,
	// the milter macro {auth_authen}); "" otherwise.
	AuthUser string `json:"auth_user,omitempty"`
}

// Message is a message under scan: its envelope and its raw bytes
// (header and body as received), readable any number of times
// concurrently.
type Message struct {
	Envelope Envelope
	raw      io.ReaderAt
	size     int64
	walks    walkCache
}

// NewMessage wraps raw message bytes of the given size.
func NewMessage(env Envelope, raw io.ReaderAt, size int64) *Message {
	return &Message{Envelope: env, raw: raw, size: size}
}

// Size is the message size in bytes.
func (m *Message) Size() int64 { return m.size }

// Reader returns a fresh reader over the whole raw message.
func (m *Message) Reader() *io.SectionReader { return io.NewSectionReader(m.raw, 0, m.size) }
