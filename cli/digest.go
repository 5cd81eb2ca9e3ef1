package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
)

func newDigestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "digest", Short: "Quarantine digest mails of the web portal"}
	cmd.AddCommand(&cobra.Command{
		Use:   "run",
		Short: "Send the quarantine digests that are due now (the portal also does this every 5 minutes)",
		Long: "Send each user whose schedule (daily or weekly, chosen on the portal's account page) has a digest\n" +
			"due the messages quarantined for it since its last digest, through the re-injection listener.\n" +
			"Unlike the portal's own runs, it does not wait for [web] digest_hour. Gateways sharing a database\n" +
			"send each digest once (a lease row); while another gateway holds it, nothing is sent.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, acc, _, err := g.openAccounts(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if a.cfg.Web.BaseURL == "" {
				return usageErr("[web] base_url is not set: digest links would lead nowhere")
			}
			d, err := gateway.NewDigester(ctx, a.App, acc)
			if err != nil {
				return err
			}
			d.Hour = 0
			n, err := d.Run(ctx)
			fmt.Fprintf(cmd.OutOrStdout(), "%d digest(s) sent\n", n)
			return err
		},
	})
	return cmd
}
