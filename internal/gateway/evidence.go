package gateway

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/combine"
	"github.com/mailtower/mailtower/scan/heuristics"
)

// Evidence judges messages as the daemon would, for the combiner's fit
// (`learn fit`) and for the evidence a release keeps: the heuristics,
// spamd and rspamd when given, and the classifier's probability, with
// the message left out of it when it was learned.
type Evidence struct {
	snap     *bayes.Snapshot
	tok      *bayes.Tokenizer
	heur     *heuristics.Scanner
	external []scan.Engine // spamd and rspamd, or none
}

// NewEvidence judges with the classifier's snapshot snap (tokens by tok),
// the heuristics walking with walk, and the external spam engines.
func NewEvidence(snap *bayes.Snapshot, tok *bayes.Tokenizer, walk mimewalk.Limits, external []scan.Engine) *Evidence {
	return &Evidence{snap: snap, tok: tok, heur: heuristics.New(heuristics.Options{Walk: walk}), external: external}
}

// ExternalSpamEngines are the configured spamd and rspamd engines, run
// always (the cascade does not apply to fitting).
func ExternalSpamEngines(ctx context.Context, a *App, cfg *config.Config) ([]scan.Engine, error) {
	inbound, _, err := BuildEngines(ctx, a, cfg)
	if err != nil {
		return nil, err
	}
	var out []scan.Engine
	for _, e := range inbound {
		if n := e.Scanner.Name(); n == "spamd" || n == "rspamd" {
			e.WhenUncertain = false
			out = append(out, e)
		}
	}
	return out, nil
}

// Judge is the evidence of one message of class; leaveOut is the class
// it was learned as ("" = not learned: plain classification).
func (e *Evidence) Judge(ctx context.Context, raw []byte, class, leaveOut bayes.Class) (combine.Sample, error) {
	f, err := e.tok.Tokenize(bytes.NewReader(raw))
	if err != nil {
		return combine.Sample{}, err
	}
	msg := scan.NewMessage(scan.Envelope{}, bytes.NewReader(raw), int64(len(raw)))
	findings, err := e.heur.Scan(ctx, msg)
	if err != nil {
		return combine.Sample{}, err
	}
	if len(e.external) > 0 {
		rep, err := scan.Run(ctx, e.external, msg, nil)
		if err != nil {
			return combine.Sample{}, err
		}
		findings = append(findings, rep.Findings...)
	}
	r := e.snap.Classify(bayes.DefaultParams, f.Tokens)
	if leaveOut != "" {
		r = e.snap.ClassifyLeavingOut(bayes.DefaultParams, f.Tokens, leaveOut)
	}
	findings = append(findings, scan.Finding{Scanner: "bayes", Category: scan.Spam, Value: r.Prob})
	s := combine.Sample{Spam: class == bayes.ClassSpam}
	for _, fd := range findings {
		if ft, ok := combine.FeatureOf(fd); ok {
			s.Features = append(s.Features, ft)
		}
		s.Features = append(s.Features, combine.RuleFeatures(fd)...)
	}
	return s, nil
}

// FeedbackSamples are the releases learned as ham, as ham samples of the
// combiner's fit (with the evidence they were caught on).
func FeedbackSamples(ctx context.Context, st *bayes.Store) ([]combine.Sample, error) {
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
