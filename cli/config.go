package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration file, print its reference"}
	cmd.AddCommand(newConfigReferenceCmd())
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Report every problem in the configuration file at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := config.ResolvePath(g.configPath)
			_, err := config.Load(path)
			var ce *config.CheckError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", path, p)
				}
				return &exitCodeError{code: 1, err: fmt.Errorf("%s: %d problem(s)", path, len(ce.Problems))}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
			return nil
		},
	})
	return cmd
}
