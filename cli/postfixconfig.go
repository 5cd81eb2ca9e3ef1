package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/postfixconf"
)

func newPostfixConfigCmd(g *globals) *cobra.Command {
	var mainOnly, masterOnly, submissionOnly bool
	cmd := &cobra.Command{
		Use:   "postfix-config",
		Short: "Print the main.cf and master.cf lines that wire Postfix to mailtower",
		Long: "Print the Postfix configuration for the current mailtower configuration.\n" +
			"Apply the main.cf lines with `postconf -e` (or append them to main.cf) and append\n" +
			"the master.cf entries (re-injection listener; submission on 587 and 465 when [sasl]\n" +
			"listen is set) to master.cf, then `postfix reload`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			all := !mainOnly && !masterOnly && !submissionOnly
			if all {
				fmt.Fprintln(out, "# ===== main.cf =====")
			}
			if all || mainOnly {
				fmt.Fprint(out, postfixconf.Main(cfg))
			}
			if all {
				fmt.Fprintln(out, "\n# ===== master.cf =====")
			}
			if all || masterOnly {
				fmt.Fprint(out, postfixconf.Master(cfg))
			}
			if all || submissionOnly {
				fmt.Fprint(out, postfixconf.Submission(cfg))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&mainOnly, "main", false, "print only the main.cf lines")
	cmd.Flags().BoolVar(&masterOnly, "master", false, "print only the master.cf entry of the re-injection listener")
	cmd.Flags().BoolVar(&submissionOnly, "submission", false, "print only the master.cf entries of the submission ports (587, 465)")
	return cmd
}
