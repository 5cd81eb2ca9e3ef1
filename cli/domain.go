package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

func newDomainCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "domain", Short: "Manage customer domains and their policies"}
	cmd.AddCommand(domainAddCmd(g), domainSetCmd(g), domainShowCmd(g), domainListCmd(g), domainRemoveCmd(g),
		domainCheckCmd(g, resolverFor))
	return cmd
}

// domainFlags are the domain-only flags.
type domainFlags struct {
	relay     string
	catchAll  bool
	relayNets []string
	tls       string
	force     bool
	policy    policyFlags
	extras    extraFlags
}

func (f *domainFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.relay, "relay", "", "the customer's mail server, HOST[:PORT]")
	cmd.Flags().BoolVar(&f.catchAll, "catch-all", false, "the customer server accepts any local part (greylist instead of validating recipients)")
	cmd.Flags().StringSliceVar(&f.relayNets, "relay-net", nil, "customer network allowed to send outbound (CIDR, repeatable; \"none\" clears)")
	cmd.Flags().StringVar(&f.tls, "tls", "", "TLS when relaying to the customer's server: may (opportunistic, the default), encrypt (required), verify (required, valid certificate) or default")
	cmd.Flags().BoolVar(&f.force, "force", false, "accept a --relay-net broader than /16 (IPv4) or /48 (IPv6)")
	f.policy.register(cmd)
	f.extras.register(cmd)
}

func (f *domainFlags) apply(cmd *cobra.Command, d *settings.Domain) error {
	if cmd.Flags().Changed("relay") {
		if err := settings.CheckRelay(f.relay); err != nil {
			return usageErr("--relay: %v", err)
		}
		d.Relay = f.relay
	}
	if cmd.Flags().Changed("catch-all") {
		d.CatchAll = f.catchAll
	}
	if cmd.Flags().Changed("tls") {
		p, err := settings.ParseTLSPolicy(f.tls)
		if err != nil {
			return usageErr("--tls: %v", err)
		}
		d.TLS = p
	}
	if cmd.Flags().Changed("relay-net") {
		d.RelayNets = nil
		for _, n := range f.relayNets {
			if n == "none" {
				continue
			}
			p, err := settings.ParseRelayNet(n)
			if err != nil {
				return usageErr("--relay-net: %v", err)
			}
			if err := settings.CheckRelayNetBreadth(p); err != nil && !f.force {
				return usageErr("--relay-net: %v; give --force if you mean it", err)
			}
			d.RelayNets = append(d.RelayNets, p)
		}
	}
	if err := f.extras.apply(cmd, d); err != nil {
		return err
	}
	return f.policy.apply(cmd, &d.Overrides)
}

func domainAddCmd(g *globals) *cobra.Command {
	f := &domainFlags{}
	cmd := &cobra.Command{
		Use:   "add DOMAIN --relay HOST[:PORT]",
		Short: "Accept mail for a domain and relay it to the customer's server",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			name, err := settings.NormalizeDomain(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if !cmd.Flags().Changed("relay") {
				return usageErr("domain add %s: --relay HOST[:PORT] is required (the customer's mail server)", name)
			}
			d := settings.Domain{Name: name}
			if err := f.apply(cmd, &d); err != nil {
				return err
			}
			if err := a.settings.AddDomain(cmd.Context(), d); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "domain %s added, relaying to %s\n", name, d.Relay)
			if !d.CatchAll {
				// Recipient validation: without users every RCPT is refused.
				fmt.Fprintf(cmd.OutOrStdout(), "note: only known users of %s are accepted; add them with "+
					"`mailtower user add ADDR` or `mailtower user import FILE --domain %s`, "+
					"or use `mailtower domain set %s --catch-all` (unknown senders are then greylisted)\n", name, name, name)
			}
			return nil
		}),
	}
	f.register(cmd)
	return cmd
}

func domainSetCmd(g *globals) *cobra.Command {
	f := &domainFlags{}
	cmd := &cobra.Command{
		Use:   "set DOMAIN [flags]",
		Short: "Change a domain's settings (a policy flag set to \"default\" inherits again)",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			name, err := settings.NormalizeDomain(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if cmd.Flags().NFlag() == 0 {
				return usageErr("domain set %s: nothing to change (see --help)", name)
			}
			ret, err := retentionChanges(cmd)
			if err != nil {
				return err
			}
			if onlyRetentionFlags(cmd, ret) {
				_, err = a.settings.Domain(cmd.Context(), name) // the domain must exist
			} else {
				err = a.settings.UpdateDomain(cmd.Context(), name, func(d *settings.Domain) error { return f.apply(cmd, d) })
			}
			if err != nil {
				return err
			}
			if err := applyRetention(cmd.Context(), a, cmd.OutOrStdout(), name, ret); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "domain %s updated\n", name)
			return nil
		}),
	}
	f.register(cmd)
	registerRetentionFlags(cmd)
	return cmd
}

// domainView is the JSON form of a domain with its effective policy.
type domainView struct {
	Name      string   `json:"name"`
	Relay     string   `json:"relay"`
	CatchAll  bool     `json:"catch_all"`
	RelayNets []string `json:"relay_nets"`
	TLS       string   `json:"tls"`
	Users     int      `json:"users"`
	// VerifyRecipients is "list" or "callout"; Mirror is nil when off.
	VerifyRecipients string       `json:"verify_recipients"`
	Mirror           *mirrorView  `json:"mirror"`
	Policy           []policyView `json:"policy,omitempty"`
	// Retention is the quarantine retention per category (domain show).
	Retention []policyView `json:"retention,omitempty"`
}

func viewDomain(d settings.Domain, users int) domainView {
	v := domainView{Name: d.Name, Relay: d.Relay, CatchAll: d.CatchAll, Users: users, RelayNets: []string{},
		VerifyRecipients: string(settings.VerifyList), Mirror: viewMirror(d.Mirror), TLS: string(d.TLS)}
	if d.VerifyRecipients != "" {
		v.VerifyRecipients = string(d.VerifyRecipients)
	}
	if v.TLS == "" {
		v.TLS = "may (default)"
	}
	for _, p := range d.RelayNets {
		v.RelayNets = append(v.RelayNets, p.String())
	}
	return v
}

func domainShowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show DOMAIN",
		Short: "Show a domain and its effective policy with the origin of each value",
		Args:  cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			name, err := settings.NormalizeDomain(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			d, err := a.settings.Domain(cmd.Context(), name)
			if err != nil {
				return err
			}
			users, err := a.settings.Users(cmd.Context(), name)
			if err != nil {
				return err
			}
			v := viewDomain(*d, len(users))
			v.Policy = viewPolicy(settings.Resolve(basePolicy(a.cfg.Defaults), d, nil))
			if v.Retention, err = retentionRows(cmd.Context(), a, name); err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), v)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintf(w, "domain\t%s\n", v.Name)
			fmt.Fprintf(w, "relay\t%s\n", v.Relay)
			fmt.Fprintf(w, "catch-all\t%v\n", v.CatchAll)
			fmt.Fprintf(w, "relay-net\t%s\n", orDash(strings.Join(v.RelayNets, ", ")))
			fmt.Fprintf(w, "tls\t%s\n", v.TLS)
			fmt.Fprintf(w, "users\t%d\n", v.Users)
			printPolicyRows(w, v.Policy)
			w.Flush()
			fmt.Fprintln(cmd.OutOrStdout(), "\nrecipient check and mirror:")
			w = newTable(cmd.OutOrStdout())
			fmt.Fprintf(w, "verify-recipients\t%s\n", v.VerifyRecipients)
			fmt.Fprintf(w, "mirror\t%s\n", v.Mirror)
			w.Flush()
			fmt.Fprintln(cmd.OutOrStdout(), "\nquarantine retention:")
			w = newTable(cmd.OutOrStdout())
			printPolicyRows(w, v.Retention)
			return w.Flush()
		}),
	}
	return cmd
}

func printPolicyRows(w interface{ Write([]byte) (int, error) }, rows []policyView) {
	for _, p := range rows {
		fmt.Fprintf(w, "%s\t%s\t(%s)\n", p.Setting, orDash(p.Value), p.Source)
	}
}

func domainListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List domains",
		Args:  cobra.NoArgs,
		RunE: withApp(g, func(cmd *cobra.Command, _ []string, a *app) error {
			ds, err := a.settings.Domains(cmd.Context())
			if err != nil {
				return err
			}
			views := make([]domainView, 0, len(ds))
			for _, d := range ds {
				users, err := a.settings.Users(cmd.Context(), d.Name)
				if err != nil {
					return err
				}
				views = append(views, viewDomain(d, len(users)))
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), views)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "DOMAIN\tRELAY\tCATCH-ALL\tUSERS\tRELAY-NETS")
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\t%v\t%d\t%s\n", v.Name, v.Relay, v.CatchAll, v.Users, orDash(strings.Join(v.RelayNets, ",")))
			}
			return w.Flush()
		}),
	}
	return cmd
}
