package cli

import (
	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
)

func newPolicydCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "policyd",
		Short: "Run only the Postfix policy daemon and the socketmap tables",
		Long: "Answer Postfix's check_policy_service requests at RCPT time ([policyd] listen) and its\n" +
			"socketmap look-ups for relay_domains, transport_maps and relay_recipient_maps\n" +
			"([policyd] socketmap). SIGHUP reloads the configuration; SIGTERM answers the requests\n" +
			"in flight, writes the greylist state and exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return gateway.Run(cmd.Context(), g.loadConfig, "policyd", gateway.StartPolicyd)
		},
	}
}
