package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage recipient addresses and their policy overrides"}
	cmd.AddCommand(userAddCmd(g), userSetCmd(g), userShowCmd(g), userListCmd(g), userRemoveCmd(g), userImportCmd(g), userPasswdCmd(g))
	return cmd
}

func parseUserArg(arg string) (addr, domain string, err error) {
	addr, domain, err = settings.NormalizeAddress(arg)
	if err != nil {
		return "", "", usageErr("%v", err)
	}
	return addr, domain, nil
}

func userAddCmd(g *globals) *cobra.Command {
	var pf policyFlags
	cmd := &cobra.Command{
		Use:   "add ADDRESS [policy flags]",
		Short: "Add a recipient address to its domain",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			addr, domain, err := parseUserArg(args[0])
			if err != nil {
				return err
			}
			u := settings.User{Address: addr, Domain: domain}
			if err := pf.apply(cmd, &u.Overrides); err != nil {
				return err
			}
			if err := a.settings.AddUser(cmd.Context(), u); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s added\n", addr)
			return nil
		}),
	}
	pf.register(cmd)
	return cmd
}

func userSetCmd(g *globals) *cobra.Command {
	var pf policyFlags
	cmd := &cobra.Command{
		Use:   "set ADDRESS [policy flags]",
		Short: "Change a user's policy overrides (\"default\" inherits from the domain again)",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			addr, _, err := parseUserArg(args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().NFlag() == 0 {
				return usageErr("user set %s: nothing to change (see --help)", addr)
			}
			err = a.settings.UpdateUser(cmd.Context(), addr, func(u *settings.User) error { return pf.apply(cmd, &u.Overrides) })
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s updated\n", addr)
			return nil
		}),
	}
	pf.register(cmd)
	return cmd
}

type userView struct {
	Address string       `json:"address"`
	Domain  string       `json:"domain"`
	Policy  []policyView `json:"policy,omitempty"`
}

func userShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ADDRESS",
		Short: "Show a user's effective policy and where each value comes from",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			addr, domain, err := parseUserArg(args[0])
			if err != nil {
				return err
			}
			u, err := a.settings.User(cmd.Context(), addr)
			if err != nil {
				return err
			}
			d, err := a.settings.Domain(cmd.Context(), domain)
			if err != nil {
				return err
			}
			v := userView{Address: u.Address, Domain: u.Domain,
				Policy: viewPolicy(settings.Resolve(basePolicy(a.cfg.Defaults), d, u))}
			if g.json {
				return printJSON(cmd.OutOrStdout(), v)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintf(w, "user\t%s\n", v.Address)
			fmt.Fprintf(w, "domain\t%s\n", v.Domain)
			printPolicyRows(w, v.Policy)
			return w.Flush()
		}),
	}
	return cmd
}

func userListCmd(g *globals) *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "list [--domain D]",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			domain, err := domainFlag(domain)
			if err != nil {
				return err
			}
			us, err := a.settings.Users(cmd.Context(), domain)
			if err != nil {
				return err
			}
			views := make([]userView, 0, len(us))
			for _, u := range us {
				views = append(views, userView{Address: u.Address, Domain: u.Domain})
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), views)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ADDRESS\tDOMAIN")
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\n", v.Address, v.Domain)
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&domain, "domain", "", "only this domain's users")
	requireNonEmpty(cmd.Flags(), "domain")
	return cmd
}

func userRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ADDRESS",
		Short: "Remove a user",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			addr, _, err := parseUserArg(args[0])
			if err != nil {
				return err
			}
			if err := a.settings.RemoveUser(cmd.Context(), addr); err != nil {
				return err
			}
			if err := removePortalLogin(cmd.Context(), a, addr); err != nil {
				return fmt.Errorf("user %s removed, but its portal login remains: %w", addr, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s removed\n", addr)
			return nil
		}),
	}
}
