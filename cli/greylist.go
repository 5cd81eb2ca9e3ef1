package cli

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/policyd/greylist"
	"github.com/mailtower/mailtower/settings"
)

func newGreylistCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "greylist", Short: "Inspect and edit greylisting state (catch-all domains)"}
	cmd.AddCommand(greylistListCmd(g), greylistAllowCmd(g), greylistClearCmd(g))
	return cmd
}

// parseNet reads an IP address (a host network) or a CIDR.
func parseNet(flag, s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, usageErr("%s %q: want an IP address or a CIDR such as 192.0.2.0/24", flag, s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// greylistFilter holds the selection flags of list and clear.
type greylistFilter struct {
	client, sender, recipient string
}

func (f *greylistFilter) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.client, "client", "", "client IP or network (matches the /24 or /64 greylisting keys on)")
	cmd.Flags().StringVar(&f.sender, "sender", "", "envelope sender (normalised as greylisting does)")
	cmd.Flags().StringVar(&f.recipient, "recipient", "", "recipient address")
	requireNonEmpty(cmd.Flags(), "client", "sender", "recipient")
}

func (f *greylistFilter) filter() (greylist.Filter, error) {
	var out greylist.Filter
	if f.client != "" {
		p, err := parseNet("--client", f.client)
		if err != nil {
			return out, err
		}
		out.Net = p
	}
	if f.sender != "" {
		out.Sender = policyd.NormalizeSender(f.sender)
	}
	if f.recipient != "" {
		a, _, err := settings.NormalizeAddress(f.recipient)
		if err != nil {
			return out, usageErr("--recipient: %v", err)
		}
		out.Recipient = a
	}
	return out, nil
}

// greylistView is the JSON form of `greylist list`.
type greylistView struct {
	Triplets []greylist.Triplet `json:"triplets"`
	Clients  []greylist.Client  `json:"clients"`
	Allowed  []greylist.Allow   `json:"allowed"`
}

func greylistListCmd(g *globals) *cobra.Command {
	var f greylistFilter
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List greylisted triplets, client networks that passed, and allowed networks",
		Args:  cobra.NoArgs,
		RunE: withStore(g, greylist.NewSQLStore, func(cmd *cobra.Command, _ []string, a *app, st *greylist.SQLStore) error {
			flt, err := f.filter()
			if err != nil {
				return err
			}
			flt.Limit = limit
			var v greylistView
			if v.Triplets, v.Clients, err = st.List(cmd.Context(), flt); err != nil {
				return err
			}
			if v.Allowed, err = st.Allows(cmd.Context()); err != nil {
				return err
			}
			v.Triplets = nonNil(v.Triplets)
			v.Clients = nonNil(v.Clients)
			v.Allowed = nonNil(v.Allowed)
			if g.json {
				return printJSON(cmd.OutOrStdout(), v)
			}
			return printGreylist(cmd, v, a.cfg.Greylist.AutoAllow)
		}),
	}
	f.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 1000, "show at most this many triplets and clients; 0 = all")
	return cmd
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func printGreylist(cmd *cobra.Command, v greylistView, autoAllow int) error {
	w := newTable(cmd.OutOrStdout())
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintln(w, "CLIENT\tSENDER\tRECIPIENT\tSTATE\tATTEMPTS\tFIRST SEEN\tLAST SEEN")
	for _, t := range v.Triplets {
		state := "pending"
		if t.Passed() {
			state = "passed"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", t.Client, t.Sender, t.Recipient, state, t.Attempts, when(t.FirstSeen), when(t.LastSeen))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CLIENT NETWORK\tPASSES\tAUTO-ALLOWED\tLAST SEEN")
	for _, c := range v.Clients {
		fmt.Fprintf(w, "%s\t%d\t%v\t%s\n", c.Net, c.Passes, autoAllow > 0 && c.Passes >= autoAllow, when(c.LastSeen))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ALLOWED NETWORK\tCOMMENT\tSINCE")
	for _, al := range v.Allowed {
		fmt.Fprintf(w, "%s\t%s\t%s\n", al.Net, orDash(al.Comment), when(al.Created))
	}
	return w.Flush()
}

func greylistAllowCmd(g *globals) *cobra.Command {
	var comment string
	var remove bool
	cmd := &cobra.Command{
		Use:   "allow IP|CIDR...",
		Short: "Exempt client networks from greylisting (--remove ends that)",
		Long: "Exempt client networks from greylisting, e.g. a partner's outbound servers.\n" +
			"To exempt a sender instead, use `mailtower rule add SCOPE --allow-sender ADDR`.",
		Args: cobra.MinimumNArgs(1),
		RunE: withStore(g, greylist.NewSQLStore, func(cmd *cobra.Command, args []string, a *app, st *greylist.SQLStore) error {
			var nets []netip.Prefix
			for _, s := range args {
				p, err := parseNet("network", s)
				if err != nil {
					return err
				}
				nets = append(nets, p)
			}
			var err error
			for _, p := range nets {
				if remove {
					err = st.RemoveAllow(cmd.Context(), p)
				} else {
					err = st.AddAllow(cmd.Context(), greylist.Allow{Net: p, Comment: comment})
				}
				if err != nil {
					return err
				}
				verb := "allowed: not greylisted any more"
				if remove {
					verb = "no longer allowed"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", p, verb)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why the network is allowed")
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the networks from the allowed list")
	return cmd
}

func greylistClearCmd(g *globals) *cobra.Command {
	var f greylistFilter
	var all bool
	cmd := &cobra.Command{
		Use:   "clear (--client NET | --sender S | --recipient R | --all)",
		Short: "Forget greylisting state: matching senders are greylisted again",
		Args:  cobra.NoArgs,
		RunE: withStore(g, greylist.NewSQLStore, func(cmd *cobra.Command, _ []string, a *app, st *greylist.SQLStore) error {
			flt, err := f.filter()
			if err != nil {
				return err
			}
			if !all && !flt.Net.IsValid() && flt.Sender == "" && flt.Recipient == "" {
				return usageErr("greylist clear: name what to clear (--client, --sender, --recipient) or pass --all")
			}
			n, err := st.Clear(cmd.Context(), flt)
			if err != nil {
				return err
			}
			what := []string{}
			for _, s := range []string{f.client, f.sender, f.recipient} {
				if s != "" {
					what = append(what, s)
				}
			}
			if all && len(what) == 0 {
				what = append(what, "everything")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cleared %d greylist entries (%s)\n", n, strings.Join(what, ", "))
			return nil
		}),
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "clear every triplet and client network (allowed networks stay)")
	return cmd
}
