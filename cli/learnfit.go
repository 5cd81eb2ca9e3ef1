package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/msgfiles"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/combine"
	"github.com/mailtower/mailtower/scan/heuristics"
)

// minFit is the fewest messages of each class `learn fit` fits on.
const minFit = 100

func learnFitCmd(g *globals) *cobra.Command {
	var spam, ham []string
	c := &cobra.Command{
		Use:   "fit --spam PATH... --ham PATH...",
		Short: "Fit the spam combiner's weights and levels on learned mail",
		Long: `Fit the combiner (docs/spam-engine.md) on messages already learned with
"learn spam" and "learn ham": each message is judged by the heuristics and by
the classifier as if it had not been learned (leave-one-out), the model is
fitted on that evidence and written to data_dir/combiner.json, which the
daemon reads at start. When spamd or rspamd is configured, each message is
also scanned by them (about 10 messages/s for spamd), so that their weights
are fitted too. At least 100 messages of each class are needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(spam) == 0 || len(ham) == 0 {
				return &exitCodeError{code: 2, err: errors.New("learn fit: --spam and --ham are required")}
			}
			return runLearnFit(cmd, g, spam, ham)
		},
	}
	c.Flags().StringSliceVar(&spam, "spam", nil, "learned spam: files, directories, mbox files")
	c.Flags().StringSliceVar(&ham, "ham", nil, "learned ham: files, directories, mbox files")
	return c
}

func runLearnFit(cmd *cobra.Command, g *globals, spam, ham []string) error {
	ctx := cmd.Context()
	a, st, err := openLearnStore(g, cmd)
	if err != nil {
		return err
	}
	defer a.Close()
	snap, err := st.Snapshot(ctx)
	if err != nil {
		return err
	}
	ev := &fitEvidence{snap: snap, tok: bayes.NewTokenizer(tokenizerLimits(a.cfg)),
		heur: heuristics.New(heuristics.Options{Walk: walkLimits(a.cfg.Limits)})}
	if ev.external, err = externalSpamEngines(ctx, a); err != nil {
		return err
	}
	var samples []combine.Sample
	var failed int
	for _, set := range []struct {
		paths []string
		class bayes.Class
	}{{spam, bayes.ClassSpam}, {ham, bayes.ClassHam}} {
		err := msgfiles.Each(set.paths, cmd.InOrStdin(), runtime.GOMAXPROCS(0), func(m msgfiles.Message) fitResult {
			if m.Err != nil {
				return fitResult{err: m.Err}
			}
			return ev.judge(ctx, m.Data, set.class, set.class)
		}, func(m msgfiles.Message, r fitResult) error {
			if r.err != nil {
				failed++
				fmt.Fprintf(cmd.ErrOrStderr(), "mailtower: %s: %v\n", m.Name, r.err)
				return nil
			}
			samples = append(samples, r.sample)
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Releases learned as ham (quarantine release) are ham samples too,
	// with the evidence they were caught on.
	released, err := feedbackSamples(ctx, st)
	if err != nil {
		return err
	}
	samples = append(samples, released...)
	m := combine.Fit(samples, combine.FitOptions{})
	if m.Spam < minFit || m.Ham < minFit {
		return &exitCodeError{code: 1, err: fmt.Errorf("learn fit: %d spam and %d ham read, need %d of each", m.Spam, m.Ham, minFit)}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(a.cfg.DataDir, combinerFile)
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("learn fit: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "fitted on %d spam, %d ham (%d of them released from quarantine; failed %d): bias %.2f, bayes weight %.2f, level cuts %v; written to %s (read at start)\n",
		m.Spam, m.Ham, len(released), failed, m.Bias, m.Weights["bayes"], m.Cuts, path)
	if failed > 0 {
		return &exitCodeError{code: 1, err: fmt.Errorf("%d message(s) could not be read", failed)}
	}
	return nil
}

// fitEvidence judges learned messages as the daemon would, with the
// classifier's leave-one-out probability.
type fitEvidence struct {
	snap     *bayes.Snapshot
	tok      *bayes.Tokenizer
	heur     *heuristics.Scanner
	external []scan.Engine // spamd and rspamd when configured
}

// externalSpamEngines are the configured spamd and rspamd engines, run
// always (the cascade does not apply to fitting).
func externalSpamEngines(ctx context.Context, a *app) ([]scan.Engine, error) {
	inbound, _, err := buildEngines(ctx, a, a.cfg)
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

type fitResult struct {
	sample combine.Sample
	err    error
}

// judge is the evidence of one message of class; leaveOut is the class
// it was learned as ("" = not learned: plain classification).
func (e *fitEvidence) judge(ctx context.Context, raw []byte, class, leaveOut bayes.Class) fitResult {
	f, err := e.tok.Tokenize(bytes.NewReader(raw))
	if err != nil {
		return fitResult{err: err}
	}
	msg := scan.NewMessage(scan.Envelope{}, bytes.NewReader(raw), int64(len(raw)))
	findings, err := e.heur.Scan(ctx, msg)
	if err != nil {
		return fitResult{err: err}
	}
	if len(e.external) > 0 {
		rep, err := scan.Run(ctx, e.external, msg, nil)
		if err != nil {
			return fitResult{err: err}
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
	return fitResult{sample: s}
}

// writeFileAtomic replaces path with b through a temporary file, so that
// a daemon starting meanwhile reads the old model or the new one.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".combiner-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
