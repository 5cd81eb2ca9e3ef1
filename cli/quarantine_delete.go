package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/quarantine"
)

func quarantineDeleteCmd(g *quarantineGlobals) *cobra.Command {
	var ff filterFlags
	var yes bool
	var by string
	cmd := &cobra.Command{
		Use:   "delete ID... | delete --category C --recipient R --sender S --domain D --before T ... --yes",
		Short: "Delete quarantined messages by id, or every one a filter selects (count shown, --yes required)",
		Long: "Mark quarantined recipients deleted (release is then refused) and remove the message file once\n" +
			"no recipient of it is still quarantined. The rows stay visible with `list --all` until their retention ends.",
		RunE: func(cmd *cobra.Command, args []string) error {
			filtered := false
			for _, n := range []string{"category", "domain", "sender", "since", "until", "before"} {
				filtered = filtered || cmd.Flags().Changed(n)
			}
			if len(args) > 0 && filtered {
				return usageErr("give message ids or filter flags, not both")
			}
			if by == "" {
				by = whoAmI()
			}
			if len(args) == 0 {
				if !filtered && !cmd.Flags().Changed("recipient") {
					return usageErr("delete: give message ids, or filter flags (--category, --recipient, --domain, --sender, --since, --before)")
				}
				return deleteMatching(cmd, g, &ff, yes, by)
			}
			a, q, err := g.openQuarantine(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			failed := 0
			var recipients []string
			if ff.f.Recipient != "" {
				recipients = []string{ff.f.Recipient}
			}
			for _, id := range args {
				d, err := q.Delete(cmd.Context(), id, recipients, by)
				for _, s := range d.Skipped {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s skipped: %s\n", d.ID, s.Recipient, s.Reason)
				}
				if err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "mailtower: %v\n", err)
					continue
				}
				if len(d.Recipients) > 0 {
					file := "file kept (other recipients still quarantined)"
					if d.FileRemoved {
						file = "file removed"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: deleted for %s; %s\n", d.ID, strings.Join(d.Recipients, ", "), file)
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d message(s) not deleted (see above)", failed, len(args))
			}
			return nil
		},
	}
	ff.register(cmd, false)
	cmd.Flags().Lookup("recipient").Usage = "only this recipient address (with ids: delete only its copy)"
	cmd.Flags().BoolVar(&yes, "yes", false, "really delete what the filter selects")
	cmd.Flags().StringVar(&by, "by", "", "who deletes (history; default: the Unix user)")
	return cmd
}

func deleteMatching(cmd *cobra.Command, g *quarantineGlobals, ff *filterFlags, yes bool, by string) error {
	f, err := g.selection(ff)
	if err != nil {
		return err
	}
	a, q, err := g.openQuarantine(cmd.Context())
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := q.Count(cmd.Context(), f)
	if err != nil {
		return err
	}
	if !yes {
		fmt.Fprintf(cmd.OutOrStdout(), "%d quarantined item(s) match; nothing deleted\n", n)
		if n == 0 {
			return nil
		}
		return usageErr("add --yes to delete these %d item(s)", n)
	}
	items, files, err := q.DeleteMatching(cmd.Context(), f, by)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "deleted %d quarantined item(s), removed %d message file(s)\n", items, files)
	return nil
}

func quarantinePurgeCmd(g *quarantineGlobals) *cobra.Command {
	var opt quarantine.PurgeOptions
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Remove what is past its retention, sweep orphan files, report damaged entries",
		Long: "Remove quarantined items past their expiry (virus 14 days, spam and content 30 by default;\n" +
			"[defaults] *_retention_days, per domain `domain set D --virus-retention 7d`), the messages left\n" +
			"without items and their files; remove files without a row older than an hour; report rows\n" +
			"whose file is missing and releases that crashed. `mailtower serve` runs this every hour.",
		Args: cobra.NoArgs,
		RunE: g.withQuarantine(func(cmd *cobra.Command, _ []string, a *app, q *quarantine.Store) error {
			rep, err := q.Purge(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			printPurge(cmd.OutOrStdout(), rep)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&opt.DryRun, "dry-run", false, "count what would be removed, remove nothing")
	return cmd
}

func printPurge(out io.Writer, rep quarantine.PurgeReport) {
	verb := "removed"
	if rep.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(out, "%s %d expired item(s), %d message(s), %d file(s) (%s), %d orphan file(s)\n",
		verb, rep.Items, rep.Messages, rep.Files, humanSize(rep.Bytes), rep.Orphans)
	for _, m := range rep.Missing {
		fmt.Fprintf(out, "missing file: message %s (%s): it cannot be released; `mailtower quarantine delete %s` clears the entry\n",
			m.ID, m.Path, m.ID)
	}
	for _, it := range rep.Stuck {
		fmt.Fprintf(out, "stuck release: message %s for %s (releasing%s): a release crashed; it may have been delivered once. "+
			"Run `mailtower quarantine release %s` to finish it\n", it.ID, it.Recipient, it.History(), it.ID)
	}
}
