package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

func newRuleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "rule", Short: "Manage block and allow rules (global, per domain, per user)"}
	cmd.AddCommand(ruleAddCmd(g), ruleListCmd(g), ruleRemoveCmd(g))
	return cmd
}

// ruleKindFlag maps each `rule add` flag to its rule kind; the flag names
// are the kind names.
var ruleKindFlag = settings.RuleKinds

func ruleAddCmd(g *globals) *cobra.Command {
	values := map[settings.RuleKind]*string{}
	var comment string
	cmd := &cobra.Command{
		Use:   "add SCOPE (--block-sender A | --block-sender-domain D | --block-ip CIDR | --block-filetype EXT | --block-content REGEX | --allow-sender A)",
		Short: "Add a rule to global, a domain or a user address",
		Long: "SCOPE is \"global\", a domain or a user address.\n" +
			"--block-filetype takes an extension (exe, js, docm), a detected type (elf, macho, script, msi, lnk,\n" +
			"macro, pdfjs, pdflaunch, encrypted) or a group (executable, archive); files are matched by name\n" +
			"and by content, inside archives, disk images and documents too. --block-content takes an RE2\n" +
			"pattern matched against the decoded subject and the text of every text part (HTML as markup\n" +
			"and as visible text); use (?i) for case-insensitive matching.",
		Args: cobra.ExactArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			scope, err := settings.ParseScope(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			var r settings.Rule
			n := 0
			for _, k := range ruleKindFlag {
				if cmd.Flags().Changed(string(k)) {
					r, n = settings.Rule{Scope: scope, Kind: k, Value: *values[k], Comment: comment}, n+1
				}
			}
			if n != 1 {
				return usageErr("rule add %s: give exactly one of --block-sender, --block-sender-domain, --block-ip, --block-filetype, --block-content, --allow-sender", args[0])
			}
			if r.Value, err = settings.NormalizeRuleValue(r.Kind, r.Value); err != nil {
				return usageErr("--%s: %v", r.Kind, err)
			}
			if scope.Kind == settings.ScopeDomain {
				// A rule for a domain this gateway does not serve is a typo.
				if _, err := a.settings.Domain(cmd.Context(), scope.Name); err != nil {
					return err
				}
			}
			added, err := a.settings.AddRule(cmd.Context(), r)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rule %d added: %s %s %s\n", added.ID, added.Scope, added.Kind, added.Value)
			return nil
		}),
	}
	for _, k := range ruleKindFlag {
		values[k] = cmd.Flags().String(string(k), "", "rule value for "+string(k))
		// An empty --block-content pattern would match, and block, every message.
		requireNonEmpty(cmd.Flags(), string(k))
	}
	cmd.Flags().StringVar(&comment, "comment", "", "free text kept with the rule")
	return cmd
}

// ruleView is the JSON form of a rule.
type ruleView struct {
	ID      int64  `json:"id"`
	Scope   string `json:"scope"`
	Kind    string `json:"kind"`
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
	Created string `json:"created"`
}

func ruleListCmd(g *globals) *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "list [SCOPE]",
		Short: "List rules, of every scope or of one (global, a domain, a user)",
		Args:  cobra.MaximumNArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			var scope settings.Scope
			if len(args) == 1 {
				s, err := settings.ParseScope(args[0])
				if err != nil {
					return usageErr("%v", err)
				}
				scope = s
			}
			if kind != "" && !validKind(kind) {
				return usageErr("--kind %q: want one of %v", kind, settings.RuleKinds)
			}
			rs, err := a.settings.Rules(cmd.Context(), scope, settings.RuleKind(kind))
			if err != nil {
				return err
			}
			views := make([]ruleView, 0, len(rs))
			for _, r := range rs {
				views = append(views, ruleView{ID: r.ID, Scope: r.Scope.String(), Kind: string(r.Kind), Value: r.Value,
					Comment: r.Comment, Created: r.Created.UTC().Format(time.RFC3339)})
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), views)
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tSCOPE\tKIND\tVALUE\tCOMMENT")
			for _, v := range views {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Scope, v.Kind, v.Value, orDash(v.Comment))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&kind, "kind", "", "only rules of this kind")
	requireNonEmpty(cmd.Flags(), "kind")
	return cmd
}

func validKind(k string) bool {
	for _, rk := range settings.RuleKinds {
		if string(rk) == k {
			return true
		}
	}
	return false
}

func ruleRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID...",
		Short: "Remove rules by id (see rule list)",
		Args:  cobra.MinimumNArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, args []string, a *app) error {
			ids := make([]int64, 0, len(args))
			for _, s := range args {
				id, err := strconv.ParseInt(s, 10, 64)
				if err != nil || id <= 0 {
					return usageErr("rule remove: %q is not a rule id", s)
				}
				ids = append(ids, id)
			}
			for _, id := range ids {
				if err := a.settings.RemoveRule(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rule %d removed\n", id)
			}
			return nil
		}),
	}
}
