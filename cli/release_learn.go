package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/combine"
	"github.com/mailtower/mailtower/scan/heuristics"
)

// releaseLearner teaches the built-in engines that a released message
// was not spam: the classifier learns it as ham (within the per-sender
// cap, bayes.FeedbackLimit) and its evidence as caught is kept for the
// combiner's next `learn fit`.
type releaseLearner struct {
	st   *bayes.Store
	tok  *bayes.Tokenizer
	walk mimewalk.Limits
	ev   *fitEvidence // made at the first release
}

// newReleaseLearner returns nil when [scanners.bayes] is disabled
// (nothing would read what it learns).
func newReleaseLearner(ctx context.Context, a *app) (*releaseLearner, error) {
	if !a.cfg.Scanners.Bayes.Enabled {
		return nil, nil
	}
	tok := bayes.NewTokenizer(tokenizerLimits(a.cfg))
	st, err := bayes.Open(ctx, a.db, tok)
	if err != nil {
		return nil, err
	}
	return &releaseLearner{st: st, tok: tok, walk: walkLimits(a.cfg.Limits)}, nil
}

// forRelease is the quarantine.HamLearner of one release: it learns on
// behalf of rel's envelope sender, and remember records the signature.
func (l *releaseLearner) forRelease(rel quarantine.Released, remember bool) *bayesHam {
	if l == nil {
		return nil
	}
	return &bayesHam{l: l, sender: rel.Sender, remember: remember}
}

// bayesHam adapts releaseLearner to quarantine.HamLearner for one
// release; Outcome is what learning did.
type bayesHam struct {
	l        *releaseLearner
	sender   string
	remember bool
	Outcome  bayes.Outcome
}

// LearnHam learns raw as ham through bayes.Store.LearnFeedback.
func (b *bayesHam) LearnHam(ctx context.Context, raw io.Reader) error {
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
// learned, as JSON (feedbackSamples reads it back).
func (l *releaseLearner) evidence(ctx context.Context, raw []byte) ([]byte, error) {
	if l.ev == nil {
		snap, err := l.st.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		l.ev = &fitEvidence{snap: snap, tok: l.tok, heur: heuristics.New(heuristics.Options{Walk: l.walk})}
	}
	r := l.ev.judge(ctx, raw, bayes.ClassHam, "")
	if r.err != nil {
		return nil, r.err
	}
	return json.Marshal(r.sample.Features)
}

// learnReleased teaches the engines that a message released without
// --remember was not spam (with --remember, quarantine.Store.Remember
// does it), when it was quarantined as spam.
func learnReleased(ctx context.Context, q *quarantine.Store, ham *bayesHam, rel quarantine.Released) (string, error) {
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
	f, err := os.Open(q.Path(items[0].Path))
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
func learnNote(ham *bayesHam) string {
	switch ham.Outcome {
	case bayes.Capped:
		return fmt.Sprintf("not learned as not spam: %s already taught %d messages in %s (the per-sender cap)",
			bayes.FeedbackKey(ham.sender), bayes.DefaultFeedbackLimit.PerSender, bayes.DefaultFeedbackLimit.Window)
	case bayes.Known:
		return "learned as not spam before"
	}
	return "learned as not spam"
}

// feedbackSamples are the releases learned as ham, as ham samples of the
// combiner's fit.
func feedbackSamples(ctx context.Context, st *bayes.Store) ([]combine.Sample, error) {
	evs, err := st.FeedbackEvidence(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]combine.Sample, 0, len(evs))
	for _, b := range evs {
		var fs []combine.Feature
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&fs); err != nil {
			continue // a record of an older format: skipped, not fatal
		}
		out = append(out, combine.Sample{Features: fs})
	}
	return out, nil
}
