package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
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
		RunE: changeAlias(g, "added", func(ctx context.Context, s *settings.AliasStore, addr string) error {
			return s.Add(ctx, settings.Alias{Address: addr, Target: target})
		}),
	}
	cmd.Flags().StringVar(&target, "target", "", "where the customer's server sends it (informational)")
	return cmd
}

func aliasListCmd(g *globals) *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "list [--domain D]",
		Short: "List aliases",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			domain, err := domainFlag(domain)
			if err != nil {
				return err
			}
			as, err := a.settings.Aliases().List(cmd.Context(), domain)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), nonNil(as))
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ALIAS\tDOMAIN\tTARGET")
			for _, al := range as {
				fmt.Fprintf(w, "%s\t%s\t%s\n", al.Address, al.Domain, orDash(al.Target))
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&domain, "domain", "", "only this domain's aliases")
	requireNonEmpty(cmd.Flags(), "domain")
	return cmd
}

func aliasRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ADDRESS",
		Short: "Remove an alias",
		Args:  cobra.ExactArgs(1),
		RunE: changeAlias(g, "removed", func(ctx context.Context, s *settings.AliasStore, addr string) error {
			return s.Remove(ctx, addr)
		}),
	}
}

// changeAlias is the RunE of alias add and remove: it parses the ADDRESS
// argument, applies change to the alias store and says what was done.
func changeAlias(g *globals, done string, change func(context.Context, *settings.AliasStore, string) error) func(*cobra.Command, []string) error {
	return withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
		addr, _, err := parseUserArg(args[0])
		if err != nil {
			return err
		}
		if err := change(cmd.Context(), a.settings.Aliases(), addr); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "alias %s %s\n", addr, done)
		return nil
	})
}
