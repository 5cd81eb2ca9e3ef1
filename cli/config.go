package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/postfixconf"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration file, print its reference"}
	cmd.AddCommand(newConfigReferenceCmd())
	var postfixDir string
	check := &cobra.Command{
		Use:   "check",
		Short: "Report every problem in the configuration file at once",
		Long: "Report every problem in the configuration file at once. When postconf is installed,\n" +
			"also check that Postfix waits longer for a verdict (milter_content_timeout) than\n" +
			"mailtower may take ([milter] max_scan_wait + timeout, plus a margin).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := config.ResolvePath(g.configPath)
			cfg, err := config.Load(path)
			var ce *config.CheckError
			var problems []error
			switch {
			case errors.As(err, &ce):
				problems = ce.Problems
			case err != nil:
				return err
			default:
				problems = checkPostfixTimeouts(cmd, cfg, postfixDir)
			}
			for _, p := range problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", path, p)
			}
			if len(problems) > 0 {
				return &exitCodeError{code: 1, err: fmt.Errorf("%s: %d problem(s)", path, len(problems))}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
			return nil
		},
	}
	check.Flags().StringVar(&postfixDir, "postfix-dir", "", "Postfix configuration directory to check against (postconf -c); default Postfix's own")
	cmd.AddCommand(check)
	return cmd
}

// checkPostfixTimeouts asks postconf for Postfix's milter timeouts and
// compares them with the decision deadline. Without postconf (Postfix on
// another host, tests) it says so and checks nothing.
func checkPostfixTimeouts(cmd *cobra.Command, cfg *config.Config, dir string) []error {
	bin, err := exec.LookPath("postconf")
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "note: postconf not found; Postfix's milter_content_timeout not checked")
		return nil
	}
	args := []string{"milter_content_timeout"}
	if dir != "" {
		args = append([]string{"-c", dir}, args...)
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil { // Postfix not configured yet (no main.cf), say
		fmt.Fprintf(cmd.ErrOrStderr(), "note: postconf %s failed (%v); Postfix's milter_content_timeout not checked\n",
			strings.Join(args, " "), err)
		return nil
	}
	return postfixconf.CheckTimeouts(cfg, string(out))
}
