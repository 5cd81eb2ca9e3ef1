package cli

import (
	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
)

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the milter, the policy daemon, the web portal and housekeeping in one process",
		Long: "Run every mailtower service in one process (the default systemd unit).\n" +
			"SIGHUP reloads the configuration; SIGTERM finishes the messages in flight and exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return gateway.Run(cmd.Context(), g.loadConfig, "serve", gateway.Serve()...)
		},
	}
}

func newMilterCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "milter",
		Short: "Run only the milter (scanning at end of DATA)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return gateway.Run(cmd.Context(), g.loadConfig, "milter", gateway.StartMetrics, gateway.StartMilter)
		},
	}
}
