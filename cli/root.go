// Package cli is mailtower's command tree (cobra): flag parsing and output
// formatting. Business logic lives in the packages it calls, and the
// parts are built from the configuration by internal/gateway; nothing
// imports cli.
package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/internal/version"
)

// globals are the persistent flags every command has.
type globals struct {
	configPath string
	json       bool
}

// Execute runs the command line and returns the process exit code.
func Execute() int {
	root := NewRootCommand()
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "mailtower:", err)
		var ec *exitCodeError
		if errors.As(err, &ec) {
			return ec.code
		}
		return 1
	}
	return 0
}

// NewRootCommand builds the whole command tree. Every sub-command is wired
// here explicitly.
func NewRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "mailtower",
		Short:         "A filtering mail gateway built on Postfix",
		Long:          "mailtower scans every message that Postfix receives for its customer domains,\nquarantines or tags what it catches, and lets Postfix relay the rest.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Get().String(),
		// Refuse empty values of filter flags before any command runs.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return checkNonEmpty(cmd) },
	}
	registerGlobals(root, g)
	root.AddCommand(
		newConfigCmd(g),
		newDomainCmd(g),
		newUserCmd(g),
		newServeCmd(g),
		newMilterCmd(g),
		newQuarantineCmd(g),
		newMirrorCmd(g),
		newPostfixConfigCmd(g),
		newRuleCmd(g),
		newLearnCmd(g),
		newScanCmd(g),
		newPolicydCmd(g),
		newGreylistCmd(g),
		newAliasCmd(g),
		newVersionCmd(g),
		newManCmd(),
		newWebCmd(g), newAdminCmd(g), newAuditCmd(g), newDigestCmd(g),
		newHistoryCmd(g), newDBCmd(g),
	)
	return root
}

// registerGlobals declares the flags every command has: --config, and
// --json for the commands that print something (lists, shows, reports).
// Values already in g stay the defaults (tests build one command alone).
func registerGlobals(root *cobra.Command, g *globals) {
	root.PersistentFlags().StringVar(&g.configPath, "config", g.configPath,
		"configuration file (default $"+config.EnvPath+" or "+config.DefaultPath+")")
	root.PersistentFlags().BoolVar(&g.json, "json", g.json,
		"print JSON instead of text (commands that list, show or report)")
}

// loadConfig reads the configuration named by --config / $MAILTOWER_CONFIG.
func (g *globals) loadConfig() (*config.Config, error) {
	return config.Load(config.ResolvePath(g.configPath))
}

// exitCodeError carries a specific exit code.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }
