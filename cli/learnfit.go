package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/internal/msgfiles"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/combine"
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
	external, err := gateway.ExternalSpamEngines(ctx, a.App, a.cfg)
	if err != nil {
		return err
	}
	ev := gateway.NewEvidence(snap, bayes.NewTokenizer(tokenizerLimits(a.cfg)), walkLimits(a.cfg.Limits), external)
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
			s, err := ev.Judge(ctx, m.Data, set.class, set.class)
			return fitResult{sample: s, err: err}
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
	released, err := gateway.FeedbackSamples(ctx, st)
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

// fitResult is the evidence of one message of `learn fit`, or why not.
type fitResult struct {
	sample combine.Sample
	err    error
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
