package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

func userImportCmd(g *globals) *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "import FILE --domain D",
		Short: "Add the addresses in FILE (one a line, - for stdin) as users of a domain, in one transaction",
		Long: "Add the addresses in FILE as users of the domain, all in one transaction. Blank lines and\n" +
			"lines starting with # are ignored. Invalid addresses, addresses of another domain,\n" +
			"duplicates and existing users are skipped and reported with their line number.",
		Args: cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			if domain == "" {
				return usageErr("user import: --domain D is required")
			}
			d, err := settings.NormalizeDomain(domain)
			if err != nil {
				return usageErr("--domain: %v", err)
			}
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("user import: %w", err)
				}
				defer f.Close()
				in = f
			}
			res, err := a.settings.ImportUsers(cmd.Context(), d, in)
			if err != nil {
				return err
			}
			if g.json {
				res.Added, res.Skipped = nonNil(res.Added), nonNil(res.Skipped)
				return printJSON(cmd.OutOrStdout(), res)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%d users added to %s, %d lines skipped\n", len(res.Added), d, len(res.Skipped))
			for _, s := range res.Skipped {
				fmt.Fprintf(out, "  line %d: %s: %s\n", s.Line, s.Value, s.Reason)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&domain, "domain", "", "the domain the addresses belong to")
	requireNonEmpty(cmd.Flags(), "domain")
	return cmd
}
