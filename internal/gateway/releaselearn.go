package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
)

// ReleaseLearner teaches the built-in engines that a released message
// was not spam: the classifier learns it as ham (within the per-sender
// cap, bayes.FeedbackLimit) and its evidence as caught is kept for the
// combiner's next `learn fit`.
type ReleaseLearner struct {
	st   *bayes.Store
	tok  *bayes.Tokenizer
	walk mimewalk.Limits
	ev   *Evidence // made at the first release
}

// NewReleaseLearner returns nil when [scanners.bayes] is disabled
// (nothing would read what it learns).
func NewReleaseLearner(ctx context.Context, a *App) (*ReleaseLearner, error) {
	if !a.Config.Scanners.Bayes.Enabled {
		return nil, nil
	}
	tok := bayes.NewTokenizer(TokenizerLimits(a.Config))
	st, err := bayes.Open(ctx, a.DB, tok)
	if err != nil {
		return nil, err
	}
	return NewReleaseLearnerOn(st, tok, Limits(a.Config.Limits).Walk()), nil
}

// NewReleaseLearnerOn is a learner on an open token store.
func NewReleaseLearnerOn(st *bayes.Store, tok *bayes.Tokenizer, walk mimewalk.Limits) *ReleaseLearner {
	return &ReleaseLearner{st: st, tok: tok, walk: walk}
}

// ForRelease is the quarantine.HamLearner of one release: it learns on
// behalf of rel's envelope sender, and remember records the signature.
func (l *ReleaseLearner) ForRelease(rel quarantine.Released, remember bool) *BayesHam {
	if l == nil {
		return nil
	}
	return &BayesHam{l: l, sender: rel.Sender, remember: remember}
}

// BayesHam adapts ReleaseLearner to quarantine.HamLearner for one
// release; Outcome is what learning did.
type BayesHam struct {
	l        *ReleaseLearner
	sender   string
	remember bool
	Outcome  bayes.Outcome
}

// LearnHam learns raw as ham through bayes.Store.LearnFeedback.
func (b *BayesHam) LearnHam(ctx context.Context, raw io.Reader) error {
	data, err := io.ReadAll(raw)
	if err != nil {
		return err
	}
	f, err := b.l.tok.Tokenize(bytes.NewReader(data))
	if err != nil {
		return err
	}
	evidence, err := b.l.evidence(ctx, data)
	if err != nil {
		return err
	}
	b.Outcome, err = b.l.st.LearnFeedback(ctx, *f, bayes.Feedback{Sender: b.sender, Remember: b.remember, Evidence: evidence},
		bayes.DefaultFeedbackLimit)
	return err
}

// evidence is the combiner's evidence of the message before it is
// learned, as JSON (FeedbackSamples reads it back).
func (l *ReleaseLearner) evidence(ctx context.Context, raw []byte) ([]byte, error) {
	if l.ev == nil {
		snap, err := l.st.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		l.ev = NewEvidence(snap, l.tok, l.walk, nil)
	}
	s, err := l.ev.Judge(ctx, raw, bayes.ClassHam, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(s.Features)
}

// learnReleased teaches the engines that a message released without
// remember was not spam (with remember, quarantine.Store.Remember does
// it), when it was quarantined as spam.
func learnReleased(ctx context.Context, q *quarantine.Store, ham *BayesHam, rel quarantine.Released) (string, error) {
	spam := false
	for _, c := range rel.Categories {
		spam = spam || c == scan.Spam
	}
	if ham == nil || !spam || len(rel.Recipients) == 0 {
		return "", nil
	}
	items, err := q.Get(ctx, rel.ID)
	if err != nil {
		return "", fmt.Errorf("learn %s as not spam: %w", rel.ID, err)
	}
	f, err := q.OpenMessage(ctx, items[0])
	if err != nil {
		return "", fmt.Errorf("learn %s as not spam: %w", rel.ID, err)
	}
	defer f.Close()
	if err := ham.LearnHam(ctx, f); err != nil {
		return "", fmt.Errorf("learn %s as not spam: %w", rel.ID, err)
	}
	return learnNote(ham), nil
}

// learnNote says what learning a release did.
func learnNote(ham *BayesHam) string {
	switch ham.Outcome {
	case bayes.Capped:
		return fmt.Sprintf("not learned as not spam: %s already taught %d messages in %s (the per-sender cap)",
			bayes.FeedbackKey(ham.sender), bayes.DefaultFeedbackLimit.PerSender, bayes.DefaultFeedbackLimit.Window)
	case bayes.Known:
		return "learned as not spam before"
	}
	return "learned as not spam"
}
