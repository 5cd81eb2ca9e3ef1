package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/msgfiles"
	"github.com/mailtower/mailtower/scan/bayes"
)

// learnBatch is how many messages go into one learning transaction: big
// enough that a corpus learns in seconds, small enough to bound memory.
const learnBatch = 2000

func newLearnCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "learn",
		Short: "Train the built-in spam engine (files, directories, mbox files, - for stdin)",
		Long: `Train the built-in spam engine with messages: single message files,
directories (recursively) and mbox files (detected by a leading "From " line).
Learning is idempotent: a message already learned as the same class counts
once; one learned as the other class is moved. "learn forget" undoes.`,
	}
	for _, class := range []bayes.Class{bayes.ClassSpam, bayes.ClassHam} {
		cmd.AddCommand(learnClassCmd(g, class))
	}
	cmd.AddCommand(learnForgetCmd(g), learnStatsCmd(g), learnPruneCmd(g), learnFitCmd(g))
	return cmd
}

func learnClassCmd(g *globals, class bayes.Class) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   string(class) + " PATH...",
		Short: "Learn messages as " + string(class),
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			return runLearn(cmd, g, paths, asJSON, func(ctx context.Context, st *bayes.Store, docs []bayes.Doc) ([]bayes.Outcome, error) {
				return st.Learn(ctx, class, docs, false)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the counts as JSON")
	return c
}

func learnForgetCmd(g *globals) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "forget PATH...",
		Short: "Undo the learning of these messages",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			return runLearn(cmd, g, paths, asJSON, func(ctx context.Context, st *bayes.Store, docs []bayes.Doc) ([]bayes.Outcome, error) {
				ds := make([]bayes.Digest, len(docs))
				for i, d := range docs {
					ds[i] = d.Digest
				}
				return st.Forget(ctx, ds)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the counts as JSON")
	return c
}

// learnCounts is what `learn` prints.
type learnCounts struct {
	Learned   int `json:"learned"`
	Known     int `json:"already_known"`
	Moved     int `json:"moved"`
	Forgotten int `json:"forgotten"`
	NotFound  int `json:"not_found"`
	Failed    int `json:"failed"`
	// Totals in the store afterwards.
	Spam int `json:"spam_total"`
	Ham  int `json:"ham_total"`
}

func (c *learnCounts) add(o bayes.Outcome) {
	switch o {
	case bayes.Learned:
		c.Learned++
	case bayes.Known:
		c.Known++
	case bayes.Moved:
		c.Moved++
	case bayes.Forgotten:
		c.Forgotten++
	case bayes.NotFound:
		c.NotFound++
	}
}

type learnFunc func(context.Context, *bayes.Store, []bayes.Doc) ([]bayes.Outcome, error)

// runLearn tokenizes the messages under paths in parallel and applies
// apply to them in batches, each batch one transaction.
func runLearn(cmd *cobra.Command, g *globals, paths []string, asJSON bool, apply learnFunc) error {
	ctx := cmd.Context()
	a, st, err := openLearnStore(g, cmd)
	if err != nil {
		return err
	}
	defer a.Close()
	tok := bayes.NewTokenizer(tokenizerLimits(a.cfg))
	var counts learnCounts
	var batch []bayes.Doc
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		outs, err := apply(ctx, st, batch)
		if err != nil {
			return err
		}
		for _, o := range outs {
			counts.add(o)
		}
		batch = batch[:0]
		return nil
	}
	type result struct {
		f   *bayes.Features
		err error
	}
	errw := cmd.ErrOrStderr()
	err = msgfiles.Each(paths, cmd.InOrStdin(), runtime.GOMAXPROCS(0), func(m msgfiles.Message) result {
		if m.Err != nil {
			return result{err: m.Err}
		}
		f, err := tok.Tokenize(bytes.NewReader(m.Data))
		return result{f: f, err: err}
	}, func(m msgfiles.Message, r result) error {
		if r.err != nil {
			counts.Failed++
			fmt.Fprintf(errw, "mailtower: %s: %v\n", m.Name, r.err)
			return nil
		}
		batch = append(batch, bayes.Doc{Digest: r.f.Digest, Tokens: r.f.Tokens})
		if len(batch) >= learnBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	counts.Spam, counts.Ham = stats.Spam, stats.Ham
	if err := printLearn(cmd.OutOrStdout(), counts, asJSON); err != nil {
		return err
	}
	if counts.Failed > 0 {
		return &exitCodeError{code: 1, err: fmt.Errorf("%d message(s) could not be read", counts.Failed)}
	}
	return nil
}

func printLearn(w io.Writer, c learnCounts, asJSON bool) error {
	if asJSON {
		return printJSON(w, c)
	}
	_, err := fmt.Fprintf(w, "learned %d, already known %d, moved %d, forgotten %d, not found %d, failed %d (store: %d spam, %d ham)\n",
		c.Learned, c.Known, c.Moved, c.Forgotten, c.NotFound, c.Failed, c.Spam, c.Ham)
	return err
}

func learnStatsCmd(g *globals) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats",
		Short: "Show how much the built-in engine has learned",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, st, err := openLearnStore(g, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := st.Stats(ctx)
			if err != nil {
				return err
			}
			b := a.cfg.Scanners.Bayes
			active := b.Enabled && s.Spam >= b.MinSpam && s.Ham >= b.MinHam
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"spam": s.Spam, "ham": s.Ham, "tokens": s.Tokens, "active": active})
			}
			word := "inactive"
			if active {
				word = "active"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "spam %d, ham %d, tokens %d; classifier %s (needs %d spam and %d ham; enabled %v)\n",
				s.Spam, s.Ham, s.Tokens, word, b.MinSpam, b.MinHam, b.Enabled)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func learnPruneCmd(g *globals) *cobra.Command {
	var olderThan time.Duration
	var maxCount int
	c := &cobra.Command{
		Use:   "prune",
		Short: "Drop rare tokens not seen in learned mail for a while (keeps the store small)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if olderThan <= 0 || maxCount < 1 {
				return usageErr("--older-than must be positive and --max-count at least 1")
			}
			ctx := cmd.Context()
			a, st, err := openLearnStore(g, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			n, err := st.Prune(ctx, time.Now().Add(-olderThan), maxCount)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pruned %d token(s) seen in at most %d message(s) and not since %s\n",
				n, maxCount, time.Now().Add(-olderThan).Format(time.DateOnly))
			return nil
		},
	}
	c.Flags().DurationVar(&olderThan, "older-than", 90*24*time.Hour, "prune tokens last learned before this long ago")
	c.Flags().IntVar(&maxCount, "max-count", 1, "prune only tokens seen in at most this many learned messages")
	return c
}

// openLearnStore opens the app and the built-in engine's token store;
// the caller closes the app.
func openLearnStore(g *globals, cmd *cobra.Command) (*app, *bayes.Store, error) {
	a, err := g.openApp(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	st, err := openBayes(cmd.Context(), a, a.cfg)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, st, nil
}
