package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/store"
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

// openStore opens the app and one component's store on its database.
func openStore[T any](g *globals, cmd *cobra.Command, open func(context.Context, *store.DB) (T, error)) (*app, T, error) {
	var zero T
	a, err := g.openApp(cmd.Context())
	if err != nil {
		return nil, zero, err
	}
	s, err := open(cmd.Context(), a.db)
	if err != nil {
		a.Close()
		return nil, zero, err
	}
	return a, s, nil
}
