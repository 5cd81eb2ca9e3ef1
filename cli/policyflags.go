package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/settings"
)

// policyFlags are the policy flags shared by `domain` and `user` commands.
// A flag set to "default" (or "inherit") removes the override.
type policyFlags struct {
	spamLevel, spamAction, virusAction, contentAction, maxSize, notifyVirus, admin string
}

func (p *policyFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.spamLevel, "spam-level", "", "spam sensitivity 1 (only obvious spam) .. 5 (aggressive)")
	f.StringVar(&p.spamAction, "spam-action", "", "quarantine, tag, delete or pass")
	f.StringVar(&p.virusAction, "virus-action", "", "quarantine or delete")
	f.StringVar(&p.contentAction, "content-action", "", "quarantine, tag, delete or pass")
	f.StringVar(&p.maxSize, "max-size", "", "largest accepted message, e.g. 25MB")
	f.StringVar(&p.notifyVirus, "notify-virus", "", "who is told about a virus: none, recipient, admin or both")
	f.StringVar(&p.admin, "admin", "", "admin address for virus notices")
}

func isInherit(v string) bool { return v == "default" || v == "inherit" }

// apply writes the flags that were given into o; "default" clears one.
func (p *policyFlags) apply(cmd *cobra.Command, o *settings.Overrides) error {
	changed := cmd.Flags().Changed
	if changed("spam-level") {
		if isInherit(p.spamLevel) {
			o.SpamLevel = nil
		} else {
			n, err := strconv.Atoi(p.spamLevel)
			if err != nil || n < 1 || n > 5 {
				return usageErr("--spam-level %q: want 1 to 5", p.spamLevel)
			}
			o.SpamLevel = &n
		}
	}
	for _, a := range []struct {
		flag, val string
		dst       **settings.Action
		allowed   []settings.Action
	}{
		{"spam-action", p.spamAction, &o.SpamAction, settings.SpamActions},
		{"virus-action", p.virusAction, &o.VirusAction, settings.VirusActions},
		{"content-action", p.contentAction, &o.ContentAction, settings.SpamActions},
	} {
		if !changed(a.flag) {
			continue
		}
		if isInherit(a.val) {
			*a.dst = nil
			continue
		}
		act, err := settings.ParseAction(a.val, a.allowed...)
		if err != nil {
			return usageErr("--%s: %v", a.flag, err)
		}
		*a.dst = &act
	}
	if changed("max-size") {
		if isInherit(p.maxSize) {
			o.MaxSize = nil
		} else {
			b, err := config.ParseByteSize(p.maxSize)
			if err != nil || b <= 0 {
				return usageErr("--max-size %q: want a positive size such as 25MB", p.maxSize)
			}
			n := int64(b)
			o.MaxSize = &n
		}
	}
	if changed("notify-virus") {
		if isInherit(p.notifyVirus) {
			o.NotifyVirus = nil
		} else {
			n, err := settings.ParseNotify(p.notifyVirus)
			if err != nil {
				return usageErr("--notify-virus: %v", err)
			}
			o.NotifyVirus = &n
		}
	}
	if changed("admin") {
		if isInherit(p.admin) || p.admin == "" {
			o.Admin = nil
		} else {
			a, _, err := settings.NormalizeAddress(p.admin)
			if err != nil {
				return usageErr("--admin: %v", err)
			}
			o.Admin = &a
		}
	}
	return nil
}

// policyView is the JSON and table form of a resolved policy.
type policyView struct {
	Setting string `json:"setting"`
	Value   string `json:"value"`
	Source  string `json:"source"`
}

func viewPolicy(r settings.Resolved) []policyView {
	p := r.Policy
	vals := map[string]string{
		"spam-level":     fmt.Sprintf("%d (%s)", p.SpamLevel, settings.LevelDescriptions[clampLevel(p.SpamLevel)]),
		"spam-action":    string(p.SpamAction),
		"virus-action":   string(p.VirusAction),
		"content-action": string(p.ContentAction),
		"max-size":       config.ByteSize(p.MaxSize).String(),
		"notify-virus":   string(p.NotifyVirus),
		"admin":          p.Admin,
	}
	out := make([]policyView, 0, len(settings.SettingNames))
	for _, name := range settings.SettingNames {
		out = append(out, policyView{Setting: name, Value: vals[name], Source: string(r.Sources[name])})
	}
	return out
}

func clampLevel(n int) int {
	if n < 1 || n > 5 {
		return 3
	}
	return n
}
