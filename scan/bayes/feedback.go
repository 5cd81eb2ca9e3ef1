package bayes

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Capped is LearnFeedback's outcome when the sender already taught as
// many messages as FeedbackLimit allows in its window: nothing learned.
const Capped Outcome = "capped"

// FeedbackLimit caps how much one sender can teach the classifier through
// releases: at most PerSender messages of one sender key (FeedbackKey)
// learned within Window. Releases are a user's judgement of one message;
// without a cap, releasing a whole campaign (or a user who releases every
// message from one sender) would outweigh the bulk-learned ham on that
// sender's words. One message content counts once whoever sends it (the
// digest), so the cap per digest is one.
type FeedbackLimit struct {
	PerSender int
	Window    time.Duration
}

// DefaultFeedbackLimit is 10 messages per sender domain in 30 days.
var DefaultFeedbackLimit = FeedbackLimit{PerSender: 10, Window: 30 * 24 * time.Hour}

// FeedbackKey is the cap's key of an envelope sender: its domain,
// lower-cased (a spammer varies the local part far more cheaply than the
// domain); "<>" for the null sender of bounces.
func FeedbackKey(sender string) string {
	if sender == "" {
		return "<>"
	}
	if i := strings.LastIndexByte(sender, '@'); i >= 0 {
		return strings.ToLower(sender[i+1:])
	}
	return strings.ToLower(sender)
}

// Feedback is a release to learn as ham.
type Feedback struct {
	// Sender is the message's envelope sender.
	Sender string
	// Remember also records the message's not-spam signature (release
	// and remember).
	Remember bool
	// Evidence is the combiner's evidence of the message as caught
	// (opaque here), kept for the next fit; nil keeps none.
	Evidence []byte
}

// LearnFeedback learns the tokenized message f as ham on behalf of a
// release, within lim (zero = DefaultFeedbackLimit): Learned or Moved
// when counted, Known when this content was learned as ham before (only
// the signature mark may be added), Capped when the sender's key already
// taught lim.PerSender messages within lim.Window (nothing changes).
func (s *Store) LearnFeedback(ctx context.Context, f Features, fb Feedback, lim FeedbackLimit) (Outcome, error) {
	if lim.PerSender <= 0 {
		lim = DefaultFeedbackLimit
	}
	key := FeedbackKey(fb.Sender)
	var out Outcome
	err := s.write(ctx, func(w *writer) error {
		var n int
		if err := w.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bayes_feedback WHERE sender = ? AND learned >= ?`,
			key, w.now-int64(lim.Window/time.Second)).Scan(&n); err != nil {
			return err
		}
		old, _, found, err := w.lookup(ctx, f.Digest)
		if err != nil {
			return err
		}
		if n >= lim.PerSender && !(found && old == ClassHam) {
			out = Capped
			return nil
		}
		if out, err = w.learn(ctx, ClassHam, Doc{Digest: f.Digest, Tokens: f.Tokens}, fb.Remember); err != nil {
			return err
		}
		if out == Known {
			return nil
		}
		_, err = w.tx.ExecContext(ctx, `INSERT INTO bayes_feedback (digest, sender, learned, evidence) VALUES (?, ?, ?, ?)
			ON CONFLICT (digest) DO UPDATE SET sender = excluded.sender, learned = excluded.learned, evidence = excluded.evidence`,
			f.Digest[:], key, w.now, fb.Evidence)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("bayes: learn feedback from %s: %w", key, err)
	}
	return out, nil
}

// FeedbackEvidence returns the evidence kept with the releases learned
// as ham that are still learned as ham (a message later learned as spam
// or forgotten no longer counts).
func (s *Store) FeedbackEvidence(ctx context.Context) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.evidence FROM bayes_feedback f
		JOIN bayes_messages m ON m.digest = f.digest AND m.class = 'ham'
		WHERE f.evidence IS NOT NULL ORDER BY f.learned`)
	if err != nil {
		return nil, fmt.Errorf("bayes: feedback evidence: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("bayes: feedback evidence: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bayes: feedback evidence: %w", err)
	}
	return out, nil
}
