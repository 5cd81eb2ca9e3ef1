package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/postfixconf"
)

func newPostfixConfigCmd(g *globals) *cobra.Command {
	var mainOnly, masterOnly bool
	cmd := &cobra.Command{
		Use:   "postfix-config",
		Short: "Print the main.cf and master.cf lines that wire Postfix to mailtower",
		Long: "Print the Postfix configuration for the current mailtower configuration.\n" +
			"Apply the main.cf lines with `postconf -e` (or append them to main.cf) and append\n" +
			"the master.cf entry to master.cf, then `postfix reload`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !masterOnly {
				fmt.Fprintln(out, "# ===== main.cf =====")
				fmt.Fprint(out, postfixconf.Main(cfg))
			}
			if !mainOnly {
				if !masterOnly {
					fmt.Fprintln(out)
				}
				fmt.Fprintln(out, "# ===== master.cf =====")
				fmt.Fprint(out, postfixconf.Master(cfg))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&mainOnly, "main", false, "print only the main.cf lines")
	cmd.Flags().BoolVar(&masterOnly, "master", false, "print only the master.cf entry")
	return cmd
}
