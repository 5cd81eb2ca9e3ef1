package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

func newRuleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "rule", Short: "Manage block and allow rules (global, per domain, per user)"}
	cmd.AddCommand(ruleAddCmd(g), ruleListCmd(g), ruleRemoveCmd(g))
	return cmd
}

// ruleFlagHelp documents each kind's flag.
var ruleFlagHelp = map[settings.RuleKind]string{
	settings.BlockSender:       "refuse this envelope sender at RCPT (ADDR, or @DOMAIN for the whole domain)",
	settings.BlockSenderDomain: "refuse senders of this domain and its subdomains at RCPT",
	settings.BlockIP:           "refuse SMTP clients from this IP or CIDR at RCPT",
	settings.BlockFiletype:     "content filter: block attachments of this type (extension, also detected from content)",
	settings.BlockContent:      "content filter: block messages whose subject or text matches this RE2 pattern",
	settings.AllowSender:       "allow this sender (ADDR or @DOMAIN): skips greylisting and the spam verdict, not virus or content rules",
}

func ruleAddCmd(g *globals) *cobra.Command {
	var comment string
	values := map[settings.RuleKind]*string{}
	cmd := &cobra.Command{
		Use:   "add SCOPE --KIND VALUE [--comment T]",
		Short: "Add a rule; SCOPE is global, a domain or a user address",
		Example: "  mailtower rule add global --block-ip 198.51.100.0/24 --comment \"botnet\"\n" +
			"  mailtower rule add example.com --block-sender-domain spammy.example\n" +
			"  mailtower rule add bob@example.com --allow-sender newsletter@shop.example",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scope, err := settings.ParseScope(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			var kind settings.RuleKind
			for _, k := range settings.RuleKinds {
				if cmd.Flags().Changed(string(k)) {
					if kind != "" {
						return usageErr("rule add: give exactly one of --%s and --%s", kind, k)
					}
					kind = k
				}
			}
			if kind == "" {
				return usageErr("rule add: give one rule flag (--block-sender, --block-sender-domain, --block-ip, --block-filetype, --block-content, --allow-sender)")
			}
			value, err := settings.NormalizeRuleValue(kind, *values[kind])
			if err != nil {
				return usageErr("--%s: %v", kind, err)
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if scope.Kind == settings.ScopeDomain {
				if _, err := a.settings.Domain(cmd.Context(), scope.Name); err != nil {
					return err
				}
			}
			r, err := a.settings.AddRule(cmd.Context(), settings.Rule{Scope: scope, Kind: kind, Value: value, Comment: comment})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rule %d added: %s %s (scope %s)\n", r.ID, r.Kind, r.Value, r.Scope)
			return nil
		},
	}
	for _, k := range settings.RuleKinds {
		values[k] = cmd.Flags().String(string(k), "", ruleFlagHelp[k])
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why the rule exists")
	return cmd
}

func ruleListCmd(g *globals) *cobra.Command {
	var asJSON bool
	var kind string
	cmd := &cobra.Command{
		Use:   "list [SCOPE]",
		Short: "List rules, all or of one scope (global, a domain or a user address)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var scope settings.Scope
			if len(args) == 1 {
				s, err := settings.ParseScope(args[0])
				if err != nil {
					return usageErr("%v", err)
				}
				scope = s
			}
			if kind != "" && ruleFlagHelp[settings.RuleKind(kind)] == "" {
				return usageErr("--kind %q: want one of block-sender, block-sender-domain, block-ip, block-filetype, block-content, allow-sender", kind)
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			rs, err := a.settings.Rules(cmd.Context(), scope, settings.RuleKind(kind))
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), nonNil(rs))
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tSCOPE\tKIND\tVALUE\tCOMMENT")
			for _, r := range rs {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Scope, r.Kind, r.Value, orDash(r.Comment))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&kind, "kind", "", "only rules of this kind")
	return cmd
}

func ruleRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID...",
		Short: "Remove rules by id (see rule list)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int64
			for _, s := range args {
				id, err := strconv.ParseInt(s, 10, 64)
				if err != nil || id <= 0 {
					return usageErr("rule id %q: want a number from `mailtower rule list`", s)
				}
				ids = append(ids, id)
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			for _, id := range ids {
				if err := a.settings.RemoveRule(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rule %d removed\n", id)
			}
			return nil
		},
	}
}
