package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/policyd"
)

func newAliasCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "alias", Short: "Manage aliases: addresses accepted for non-catch-all domains besides their users"}
	cmd.AddCommand(aliasAddCmd(g), aliasListCmd(g), aliasRemoveCmd(g))
	return cmd
}

func aliasAddCmd(g *globals) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "add ADDRESS [--target T]",
		Short: "Accept ADDRESS at RCPT (a list or forward the customer's server expands)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeAlias(g, cmd, args[0], "added", func(s *policyd.AliasStore, addr string) error {
				return s.Add(cmd.Context(), policyd.Alias{Address: addr, Target: target})
			})
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "where the customer's server sends it (informational)")
	return cmd
}

func aliasListCmd(g *globals) *cobra.Command {
	var domain string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--domain D]",
		Short: "List aliases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			domain, err := domainFlag(domain)
			if err != nil {
				return err
			}
			a, s, err := openStore(g, cmd, policyd.NewAliasStore)
			if err != nil {
				return err
			}
			defer a.Close()
			as, err := s.List(cmd.Context(), domain)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), nonNil(as))
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ALIAS\tDOMAIN\tTARGET")
			for _, al := range as {
				fmt.Fprintf(w, "%s\t%s\t%s\n", al.Address, al.Domain, orDash(al.Target))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "", "only this domain's aliases")
	requireNonEmpty(cmd.Flags(), "domain")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func aliasRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ADDRESS",
		Short: "Remove an alias",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeAlias(g, cmd, args[0], "removed", func(s *policyd.AliasStore, addr string) error {
				return s.Remove(cmd.Context(), addr)
			})
		},
	}
}

// changeAlias parses arg as an address, applies change to the alias store
// and says what was done.
func changeAlias(g *globals, cmd *cobra.Command, arg, done string, change func(*policyd.AliasStore, string) error) error {
	addr, _, err := parseUserArg(arg)
	if err != nil {
		return err
	}
	a, s, err := openStore(g, cmd, policyd.NewAliasStore)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := change(s, addr); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "alias %s %s\n", addr, done)
	return nil
}
