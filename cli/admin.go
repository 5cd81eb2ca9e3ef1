package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
)

func newAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Manage web portal admins and domain admins (roles, two-factor login)"}
	cmd.AddCommand(adminAddCmd(g), adminRemoveCmd(g), adminListCmd(g), adminTOTPResetCmd(g), adminRequireTOTPCmd(g))
	return cmd
}

// openAccounts opens the app with the account store and the audit log.
func (g *globals) openAccounts(ctx context.Context) (*app, *account.Store, *audit.Log, error) {
	a, err := g.openApp(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	acc, err := account.Open(ctx, a.db)
	if err == nil {
		var al *audit.Log
		if al, err = audit.Open(ctx, a.db); err == nil {
			return a, acc, al, nil
		}
	}
	a.Close()
	return nil, nil, nil, err
}

// auditCLI records a change made on the command line.
func auditCLI(ctx context.Context, al *audit.Log, action, target, detail string) error {
	return al.Record(ctx, audit.Entry{Actor: whoAmI(), Client: "cli", Action: action, Target: target, Detail: detail, OK: true})
}

func adminAddCmd(g *globals) *cobra.Command {
	var domains []string
	cmd := &cobra.Command{
		Use:   "add LOGIN [--domain D]...",
		Short: "Make LOGIN an admin (every domain) or, with --domain, the admin of those domains",
		Long: "Give a portal login a role. Without --domain the login is an admin: it sees and changes everything.\n" +
			"With --domain it is a domain admin: every user of those domains, and their domain settings.\n" +
			"Both must use two-factor login (they enrol at their first login). Set the password with\n" +
			"`mailtower user passwd LOGIN`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, acc, al, err := g.openAccounts(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			login := account.NormalizeLogin(args[0])
			if len(domains) == 0 {
				if err := acc.AddRole(ctx, login, account.RoleAdmin, ""); err != nil {
					return usageErr("%v", err)
				}
				auditCLI(ctx, al, audit.Setting, login, "role admin")
				fmt.Fprintf(cmd.OutOrStdout(), "%s is an admin\n", login)
			}
			for _, d := range domains {
				name, err := settings.NormalizeDomain(d)
				if err != nil {
					return usageErr("--domain: %v", err)
				}
				if _, err := a.settings.Domain(ctx, name); err != nil {
					return err
				}
				if err := acc.AddRole(ctx, login, account.RoleDomainAdmin, name); err != nil {
					return usageErr("%v", err)
				}
				auditCLI(ctx, al, audit.Setting, login, "role domain admin of "+name)
				fmt.Fprintf(cmd.OutOrStdout(), "%s administers %s\n", login, name)
			}
			if t, err := acc.PasswordChanged(ctx, login); err == nil && t.Unix() == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "set its password with: mailtower user passwd %s\n", login)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&domains, "domain", nil, "administer only this domain (repeatable)")
	requireNonEmpty(cmd.Flags(), "domain")
	return cmd
}

func adminRemoveCmd(g *globals) *cobra.Command {
	var domain string
	cmd := &cobra.Command{
		Use:   "remove LOGIN [--domain D]",
		Short: "Take the admin role (or, with --domain, one domain) away from LOGIN",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, acc, al, err := g.openAccounts(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			role := account.RoleAdmin
			if domain != "" {
				role = account.RoleDomainAdmin
			}
			n, err := acc.RemoveRole(ctx, args[0], role, domain)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%s has no such role", args[0])
			}
			auditCLI(ctx, al, audit.Setting, account.NormalizeLogin(args[0]), "removed role "+role+" "+domain)
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d role(s) of %s\n", n, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&domain, "domain", "", "remove only the admin role of this domain")
	requireNonEmpty(cmd.Flags(), "domain")
	return cmd
}

func adminListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List admins and domain admins",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, acc, _, err := g.openAccounts(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			roles, err := acc.Roles(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if roles == nil {
					roles = []account.Role{}
				}
				return printJSON(cmd.OutOrStdout(), roles)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "LOGIN\tROLE\tDOMAIN\tTWO-FACTOR")
			for _, r := range roles {
				p, _ := acc.Principal(cmd.Context(), r.Login)
				fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", r.Login, r.Role, orDash(r.Domain), map[bool]string{true: "on", false: "not enrolled"}[p.TOTP])
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func adminTOTPResetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "totp-reset LOGIN",
		Short: "Remove LOGIN's two-factor login (lost phone); it enrols again at its next login if required",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, acc, al, err := g.openAccounts(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := acc.ResetTOTP(ctx, args[0]); err != nil {
				return err
			}
			auditCLI(ctx, al, audit.TOTP, account.NormalizeLogin(args[0]), "reset")
			fmt.Fprintf(cmd.OutOrStdout(), "two-factor login of %s removed\n", args[0])
			return nil
		},
	}
}

func adminRequireTOTPCmd(g *globals) *cobra.Command {
	var off bool
	cmd := &cobra.Command{
		Use:   "require-totp DOMAIN [--off]",
		Short: "Require two-factor login for every user of DOMAIN (--off: optional again)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, acc, al, err := g.openAccounts(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			name, err := settings.NormalizeDomain(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if _, err := a.settings.Domain(ctx, name); err != nil {
				return err
			}
			if err := acc.SetDomainTOTP(ctx, name, !off); err != nil {
				return err
			}
			auditCLI(ctx, al, audit.Setting, name, fmt.Sprintf("require 2FA %v", !off))
			fmt.Fprintf(cmd.OutOrStdout(), "%s: two-factor login required: %v\n", name, !off)
			return nil
		},
	}
	cmd.Flags().BoolVar(&off, "off", false, "make two-factor login optional again")
	return cmd
}

// removePortalLogin deletes the portal login of a removed user.
func removePortalLogin(ctx context.Context, a *app, addr string) error {
	acc, err := account.Open(ctx, a.db)
	if err != nil {
		return err
	}
	return acc.RemoveLogin(ctx, addr)
}

// removePortalDomain forgets a removed domain's logins and roles.
func removePortalDomain(ctx context.Context, a *app, domain string) error {
	acc, err := account.Open(ctx, a.db)
	if err != nil {
		return err
	}
	return acc.RemoveDomain(ctx, domain)
}
