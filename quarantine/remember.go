package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// "Release and remember" teaches the gateway after a release: the sender
// goes on each released recipient's allow list (an allow-sender rule in
// the user's scope, which skips the spam verdict only: antivirus and the
// content filter still apply), and the message is learned as not-spam by
// the built-in engine, which also remembers a signature of its normalised
// content so that the same message is not caught again, from anyone.

// RuleAdder adds allow rules (settings.SQLStore implements it).
type RuleAdder interface {
	AddRule(ctx context.Context, r settings.Rule) (settings.Rule, error)
}

// HamLearner learns a message as not-spam (the built-in engine's hook;
// the CLI adapts scan/bayes to it). Nil means no learning engine.
type HamLearner interface {
	LearnHam(ctx context.Context, raw io.Reader) error
}

// Remembered is what Remember did.
type Remembered struct {
	// Rules are the allow-sender rules added, by recipient.
	Rules map[string]string `json:"rules,omitempty"`
	// Existing lists recipients that already allowed the sender.
	Existing []string `json:"existing,omitempty"`
	// Learned is set when the message was learned as not-spam.
	Learned bool `json:"learned"`
	// Notes explain what was not done and why.
	Notes []string `json:"notes,omitempty"`
}

// Remember adds the released message's sender to the allow list of each
// released recipient and learns the message as not-spam.
func (s *Store) Remember(ctx context.Context, rules RuleAdder, ham HamLearner, rel Released) (Remembered, error) {
	out := Remembered{Rules: map[string]string{}}
	if len(rel.Recipients) == 0 {
		out.Notes = append(out.Notes, "nothing was released now, so nothing was remembered")
		return out, nil
	}
	if rel.Sender == "" {
		out.Notes = append(out.Notes, "the envelope sender is empty (a bounce): no allow rule added")
	} else {
		for _, r := range rel.Recipients {
			rule, err := rules.AddRule(ctx, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeUser, Name: r},
				Kind: settings.AllowSender, Value: rel.Sender, Comment: "quarantine release --remember " + rel.ID})
			switch {
			case errors.Is(err, settings.ErrExists):
				out.Existing = append(out.Existing, r)
			case err != nil:
				return out, fmt.Errorf("remember %s: allow %s for %s: %w", rel.ID, rel.Sender, r, err)
			default:
				out.Rules[r] = fmt.Sprintf("rule %d: allow-sender %s", rule.ID, rule.Value)
			}
		}
	}
	spam := false
	for _, c := range rel.Categories {
		spam = spam || c == scan.Spam
	}
	switch {
	case ham == nil:
		out.Notes = append(out.Notes, "no learning engine configured: the message was not learned as not-spam")
	case !spam:
		out.Notes = append(out.Notes, "not caught as spam: not learned as not-spam")
	default:
		if err := s.learnHam(ctx, ham, rel.ID); err != nil {
			return out, fmt.Errorf("remember %s: %w", rel.ID, err)
		}
		out.Learned = true
	}
	return out, nil
}

func (s *Store) learnHam(ctx context.Context, ham HamLearner, id string) error {
	items, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	f, err := s.OpenMessage(ctx, items[0])
	if err != nil {
		return fmt.Errorf("learn as not-spam: %w", err)
	}
	defer f.Close()
	if err := ham.LearnHam(ctx, f); err != nil {
		return fmt.Errorf("learn as not-spam: %w", err)
	}
	return nil
}
