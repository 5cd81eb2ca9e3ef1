package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"filippo.io/age"
)

// Per-domain safety nets that only a domain has (not its users): the
// encrypted replay cache (MailMirror, package mirror) and how unknown
// recipients are checked (a user list, or a callout to the customer's
// server). They live in tables of their own (component "domain_extras")
// and travel with the Domain record: getDomain reads them, AddDomain and
// UpdateDomain write them, RemoveDomain removes them. Every change bumps
// the settings generation, so the daemons' caches see it within a second.

// extrasMigrations is the schema of the extras, append-only.
var extrasMigrations = []string{
	`CREATE TABLE domain_mirror (
		domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
		days INTEGER NOT NULL CHECK (days > 0),
		recipient TEXT NOT NULL,
		escrow TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE domain_verify (
		domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
		mode TEXT NOT NULL CHECK (mode IN ('callout'))
	);
	CREATE TRIGGER mirror_ins AFTER INSERT ON domain_mirror BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER mirror_upd AFTER UPDATE ON domain_mirror BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER mirror_del AFTER DELETE ON domain_mirror BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER verify_ins AFTER INSERT ON domain_verify BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER verify_upd AFTER UPDATE ON domain_verify BEGIN UPDATE settings_generation SET gen = gen + 1; END;
	CREATE TRIGGER verify_del AFTER DELETE ON domain_verify BEGIN UPDATE settings_generation SET gen = gen + 1; END;`,
}

// MaxMirrorDays bounds a domain's mirror: longer is a mail archive, which
// the mirror is not.
const MaxMirrorDays = 90

// Mirror is a domain's replay cache: every message delivered to the
// domain is kept Days days, encrypted with age to Recipient (the
// customer's public key) and, when set, Escrow (the operator's). The
// gateway holds public keys only.
type Mirror struct {
	Days      int
	Recipient string
	Escrow    string
}

// Recipients parses the public keys (ParseMirrorKey).
func (m Mirror) Recipients() ([]age.Recipient, error) {
	keys := []string{m.Recipient}
	if m.Escrow != "" {
		keys = append(keys, m.Escrow)
	}
	out := make([]age.Recipient, 0, len(keys))
	for _, k := range keys {
		r, err := ParseMirrorKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseMirrorKey parses an age public key: "age1…" (X25519, what
// `age-keygen` prints) or "age1pq1…" (hybrid post-quantum). A secret key
// given by mistake is refused without echoing it.
func ParseMirrorKey(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(strings.ToUpper(s), "AGE-SECRET-KEY"):
		return nil, errors.New("this is a secret key: give the public key (age1…, the \"public key\" line of age-keygen), and keep the secret key away from the gateway")
	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("age key %q: %w", s, err)
		}
		return r, nil
	}
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		return nil, fmt.Errorf("age key %q: want a public key such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p: %w", s, err)
	}
	return r, nil
}

// ParseMirrorDays reads a mirror's days: 1 to MaxMirrorDays, or 0 (off).
func ParseMirrorDays(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > MaxMirrorDays {
		return 0, fmt.Errorf("mirror days %q: want 1 to %d, or 0 to turn the mirror off", s, MaxMirrorDays)
	}
	return n, nil
}

// VerifyMode says how a domain's unknown recipients are checked.
type VerifyMode string

// The recipient checks.
const (
	// VerifyList accepts the domain's users and aliases only (the default).
	VerifyList VerifyMode = "list"
	// VerifyCallout asks the customer's server about a recipient that is
	// neither a user nor an alias (Postfix's reject_unverified_recipient,
	// answered by the policy daemon); users and aliases need no probe.
	VerifyCallout VerifyMode = "callout"
)

// ParseVerifyMode reads a recipient check mode.
func ParseVerifyMode(s string) (VerifyMode, error) {
	switch m := VerifyMode(strings.ToLower(strings.TrimSpace(s))); m {
	case VerifyList, VerifyCallout:
		return m, nil
	}
	return "", fmt.Errorf("recipient check %q: want list (users and aliases) or callout (ask the customer's server)", s)
}

// loadExtras fills d's mirror and recipient check.
func loadExtras(ctx context.Context, q querier, d *Domain) error {
	var m Mirror
	err := q.QueryRowContext(ctx, `SELECT days, recipient, escrow FROM domain_mirror WHERE domain = ?`, d.Name).
		Scan(&m.Days, &m.Recipient, &m.Escrow)
	switch {
	case err == nil:
		d.Mirror = &m
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("domain %s mirror: %w", d.Name, err)
	}
	var mode string
	err = q.QueryRowContext(ctx, `SELECT mode FROM domain_verify WHERE domain = ?`, d.Name).Scan(&mode)
	switch {
	case err == nil:
		d.VerifyRecipients = VerifyMode(mode)
	case errors.Is(err, sql.ErrNoRows):
		d.VerifyRecipients = VerifyList
	default:
		return fmt.Errorf("domain %s recipient check: %w", d.Name, err)
	}
	return nil
}

// writeExtras stores d's mirror and recipient check; a row is written
// only when it says something (mirror on, callout).
func writeExtras(ctx context.Context, x Execer, d Domain) error {
	if m := d.Mirror; m != nil && m.Days > 0 {
		if _, err := ParseMirrorKey(m.Recipient); err != nil {
			return fmt.Errorf("domain %s mirror: %w", d.Name, err)
		}
		if m.Escrow != "" {
			if _, err := ParseMirrorKey(m.Escrow); err != nil {
				return fmt.Errorf("domain %s mirror escrow: %w", d.Name, err)
			}
		}
		if _, err := x.ExecContext(ctx, `INSERT INTO domain_mirror (domain, days, recipient, escrow) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain) DO UPDATE SET days = excluded.days, recipient = excluded.recipient, escrow = excluded.escrow`,
			d.Name, m.Days, m.Recipient, m.Escrow); err != nil {
			return fmt.Errorf("domain %s mirror: %w", d.Name, err)
		}
	} else if _, err := x.ExecContext(ctx, `DELETE FROM domain_mirror WHERE domain = ?`, d.Name); err != nil {
		return fmt.Errorf("domain %s mirror: %w", d.Name, err)
	}
	if d.VerifyRecipients == VerifyCallout {
		if _, err := x.ExecContext(ctx, `INSERT INTO domain_verify (domain, mode) VALUES (?, ?)
			ON CONFLICT (domain) DO UPDATE SET mode = excluded.mode`, d.Name, string(d.VerifyRecipients)); err != nil {
			return fmt.Errorf("domain %s recipient check: %w", d.Name, err)
		}
	} else if _, err := x.ExecContext(ctx, `DELETE FROM domain_verify WHERE domain = ?`, d.Name); err != nil {
		return fmt.Errorf("domain %s recipient check: %w", d.Name, err)
	}
	return nil
}
