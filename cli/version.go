package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/version"
)

func newVersionCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, source commit, build date and Go version",
		Long: "Print which build is running. Release builds get the values from the Makefile\n" +
			"(git describe, the commit, and SOURCE_DATE_EPOCH or the commit time); a plain\n" +
			"`go build` or `go install` falls back to what the Go toolchain recorded.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version.Get()
			out := cmd.OutOrStdout()
			if g.json {
				return printJSON(out, map[string]string{"version": v.Version, "commit": v.Commit, "date": v.Date, "go": v.Go})
			}
			t := newTable(out)
			fmt.Fprintf(t, "mailtower\t%s\n", v.Version)
			fmt.Fprintf(t, "commit\t%s\n", orDash(v.Commit))
			fmt.Fprintf(t, "built\t%s\n", orDash(v.Date))
			fmt.Fprintf(t, "go\t%s\n", orDash(v.Go))
			return t.Flush()
		},
	}
	return cmd
}
