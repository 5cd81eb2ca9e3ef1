package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

func domainRemoveCmd(g *globals) *cobra.Command {
	var purge bool
	cmd := &cobra.Command{
		Use:   "remove DOMAIN",
		Short: "Stop accepting mail for a domain (refused while it holds settings, unless --purge)",
		Long: "Stop accepting mail for a domain. A domain that still holds users, aliases, rules or\n" +
			"retention overrides is refused with a list of what it holds; --purge removes the domain\n" +
			"with all of them, so a domain added again under the same name starts from [defaults].\n" +
			"Quarantined mail stays and expires by [defaults].",
		Args: cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			name, err := settings.NormalizeDomain(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			ctx := cmd.Context()
			if _, err := a.settings.Domain(ctx, name); err != nil {
				return err
			}
			if !purge {
				held, err := domainHoldings(ctx, a, name)
				if err != nil {
					return err
				}
				if len(held) > 0 {
					return usageErr("domain %s still holds %s; remove them first or give --purge to remove them with the domain",
						name, strings.Join(held, ", "))
				}
			}
			if err := a.settings.RemoveDomain(ctx, name); err != nil {
				return err
			}
			// The overrides went with the domain; what the quarantine
			// holds for it now expires by [defaults].
			if err := clearRetention(ctx, a, name); err != nil {
				return fmt.Errorf("domain %s removed, but the expiry of its quarantined mail was not recomputed: %w", name, err)
			}
			// Portal roles on a domain that is gone grant nothing; a
			// domain added again under this name starts without them.
			if err := removePortalDomain(ctx, a, name); err != nil {
				return fmt.Errorf("domain %s removed, but its portal logins and roles remain: %w", name, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "domain %s removed\n", name)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also remove the domain's users, aliases, rules and retention overrides")
	return cmd
}

// domainHoldings lists what removing domain would take with it ("2 users",
// "1 alias", ...); empty when the domain holds nothing of its own.
func domainHoldings(ctx context.Context, a *app, domain string) ([]string, error) {
	users, err := a.settings.Users(ctx, domain)
	if err != nil {
		return nil, err
	}
	aliases, err := a.settings.Aliases().List(ctx, domain)
	if err != nil {
		return nil, err
	}
	rules, err := a.settings.Rules(ctx, settings.Scope{Kind: settings.ScopeDomain, Name: domain}, "")
	if err != nil {
		return nil, err
	}
	nrules := len(rules)
	for _, u := range users {
		r, err := a.settings.Rules(ctx, settings.Scope{Kind: settings.ScopeUser, Name: u.Address}, "")
		if err != nil {
			return nil, err
		}
		nrules += len(r)
	}
	ret, err := a.settings.DomainRetention(ctx, domain)
	if err != nil {
		return nil, err
	}
	nret := 0
	for _, d := range []*time.Duration{ret.Virus, ret.Spam, ret.Content} {
		if d != nil {
			nret++
		}
	}
	var held []string
	for _, c := range []struct {
		n            int
		one, several string
	}{{len(users), "user", "users"}, {len(aliases), "alias", "aliases"}, {nrules, "rule", "rules"},
		{nret, "retention override", "retention overrides"}} {
		switch {
		case c.n == 1:
			held = append(held, "1 "+c.one)
		case c.n > 1:
			held = append(held, fmt.Sprintf("%d %s", c.n, c.several))
		}
	}
	return held, nil
}
