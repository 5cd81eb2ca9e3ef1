package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
)

func newQuarantineCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "quarantine", Short: "Search, inspect, release and delete quarantined mail"}
	cmd.AddCommand(quarantineListCmd(g))
	return cmd
}

// openQuarantine opens the app and the quarantine store.
func (g *globals) openQuarantine(ctx context.Context) (*app, *quarantine.Store, error) {
	a, err := g.openApp(ctx)
	if err != nil {
		return nil, nil, err
	}
	q, err := quarantine.Open(ctx, a.db, a.cfg.DataDir, retention(a.cfg.Defaults))
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, q, nil
}

func quarantineListCmd(g *globals) *cobra.Command {
	var f quarantine.Filter
	var category string
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List quarantined messages, one row per quarantined recipient",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if category != "" {
				c := scan.Category(strings.ToLower(category))
				if c != scan.Virus && c != scan.Spam && c != scan.Content {
					return usageErr("--category %q: want virus, spam or content", category)
				}
				f.Category = c
			}
			if all {
				f.States = []string{"quarantined", "released", "deleted"}
			}
			a, q, err := g.openQuarantine(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			items, err := q.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), items)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tRECEIVED\tCATEGORY\tSCORE\tSENDER\tRECIPIENT\tSUBJECT\tSTATE")
			for _, it := range items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\n", it.ID, it.Received.Format("2006-01-02 15:04"),
					it.Category, it.Score, orDash(it.Sender), it.Recipient, truncate(it.Subject, 50), it.State)
			}
			return w.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&category, "category", "", "virus, spam or content")
	fl.StringVar(&f.Recipient, "recipient", "", "only this recipient")
	fl.StringVar(&f.Sender, "sender", "", "only this envelope sender")
	fl.StringVar(&f.Sort, "sort", "received", "received, size, score or sender")
	fl.BoolVar(&f.Reverse, "reverse", false, "reverse the order (default: newest, largest, highest first; sender A-Z)")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many rows (0 = all)")
	fl.IntVar(&f.Offset, "offset", 0, "skip this many rows (paging)")
	fl.BoolVar(&all, "all", false, "include released and deleted messages")
	fl.BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
