package cli

import (
	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
)

func newWebCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "web",
		Short: "Run only the self-service web portal ([web] listen)",
		Long: "Run the web portal alone (`mailtower serve` also runs it when [web] listen is set).\n" +
			"See docs/portal.md for TLS, roles, two-factor login and digests.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return gateway.Run(cmd.Context(), g.loadConfig, "web", gateway.StartWeb)
		},
	}
}
