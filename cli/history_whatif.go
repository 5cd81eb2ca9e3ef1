package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/settings"
)

func historyWhatIfCmd(g *globals) *cobra.Command {
	var pf policyFlags
	var domain, user, since, until string
	var examples int
	cmd := &cobra.Command{
		Use:   "what-if",
		Short: "Replay stored verdicts under proposed settings: how many messages would change fate",
		Long: "Recompute the verdict and action of the stored messages of a period from their stored evidence\n" +
			"(scores and findings) under proposed policy settings, and print how many recipients would change\n" +
			"fate, in which direction, with examples. Nothing is changed.\n\n" +
			"With --domain the flags propose that domain's settings (its users' own settings still win), with\n" +
			"--user that user's, without either the global defaults. Refusals at RCPT and outbound mail are\n" +
			"not replayed; allow-sender rules count as they did when the message came.\n\n" +
			"  mailtower history what-if --domain example.com --spam-level 4",
		Args: cobra.NoArgs,
		RunE: withStore(g, history.Open, func(cmd *cobra.Command, _ []string, a *app, h *history.Store) error {
			ctx := cmd.Context()
			proposed := false
			for _, s := range settings.PolicySettings {
				proposed = proposed || cmd.Flags().Changed(s.Name)
			}
			if !proposed {
				return usageErr("what-if: propose at least one setting (--spam-level, --spam-action, ...)")
			}
			var change settings.Overrides
			if err := pf.apply(cmd, &change); err != nil {
				return err
			}
			// The flags applied to the proposed scope's own overrides
			// ("default" there removes one).
			apply := func(o *settings.Overrides) { _ = pf.apply(cmd, o) }
			resolve, f, err := proposal(ctx, a, domain, user, change, apply)
			if err != nil {
				return err
			}
			now := time.Now()
			hf := historyFlags{f: f, since: since, until: until}
			hf.f.Sort = "time"
			if f, err = hf.filter(now); err != nil {
				return err
			}
			rep, err := h.ReplayWhatIf(ctx, history.WhatIfOptions{Filter: f, Resolve: resolve, Examples: examples})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			printWhatIf(cmd.OutOrStdout(), rep)
			return nil
		}),
	}
	pf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&domain, "domain", "", "propose this domain's settings (and replay only its recipients)")
	fl.StringVar(&user, "user", "", "propose this user's settings (and replay only its messages)")
	fl.StringVar(&since, "since", "7d", "replay messages at or after: RFC 3339 time, date or age")
	fl.StringVar(&until, "until", "", "replay messages before: RFC 3339 time, date or age")
	fl.IntVar(&examples, "examples", 5, "examples shown per change")
	requireNonEmpty(fl, "domain", "user", "since", "until")
	return cmd
}

// proposal returns the proposed resolution and the recipients to replay.
func proposal(ctx context.Context, a *app, domain, user string, change settings.Overrides, apply func(*settings.Overrides)) (
	func(context.Context, string) (settings.Resolved, error), history.Filter, error) {
	var f history.Filter
	if domain != "" && user != "" {
		return nil, f, usageErr("what-if: --domain or --user, not both")
	}
	p := settings.Proposed{Store: a.settings, Change: apply}
	base := basePolicy(a.cfg.Defaults)
	switch {
	case domain != "":
		d, err := domainFlag(domain)
		if err != nil {
			return nil, f, err
		}
		if _, err := a.settings.Domain(ctx, d); err != nil {
			return nil, f, fmt.Errorf("what-if --domain %s: %w", d, err)
		}
		p.DomainName, f.Domain = d, d
	case user != "":
		addr, _, err := settings.NormalizeAddress(user)
		if err != nil {
			return nil, f, usageErr("--user: %v", err)
		}
		p.UserAddress, f.Recipient = addr, addr
	default:
		// New global defaults: the change over the configured ones.
		base = settings.Resolve(base, &settings.Domain{Overrides: change}, nil).Policy
	}
	r, err := settings.NewResolver(p, nil, base, 50_000)
	if err != nil {
		return nil, f, err
	}
	return r.Resolve, f, nil
}

func printWhatIf(w io.Writer, rep history.WhatIf) {
	fmt.Fprintf(w, "replayed %d recipients: %d would change fate, %d would not\n", rep.Replayed, rep.Changed, rep.Replayed-rep.Changed)
	for _, c := range rep.Changes {
		fmt.Fprintf(w, "\n%s -> %s: %d\n", c.From, c.To, c.Count)
		t := newTable(w)
		for _, ex := range c.Examples {
			fmt.Fprintf(t, "  %d\t%s\t%s\t%s\tscore %.1f (threshold %.1f)\t%s -> %s\t%s\n", ex.ID, stamp(ex.Time), orDash(ex.Sender),
				ex.Recipient, ex.Score, ex.Threshold, ex.WasVerdict, ex.WouldVerdict, oneLine(truncate(ex.Subject, 40)))
		}
		t.Flush()
	}
}
