package cli

import (
	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/settings"
)

// policyFlags are the policy flags shared by `domain` and `user` commands,
// one per settings.PolicySettings. A flag set to "default" (or "inherit")
// removes the override.
type policyFlags struct {
	values map[string]*string
}

func (p *policyFlags) register(cmd *cobra.Command) {
	p.values = map[string]*string{}
	for _, s := range settings.PolicySettings {
		v := new(string)
		p.values[s.Name] = v
		cmd.Flags().StringVar(v, s.Name, "", s.Help)
	}
}

func isInherit(v string) bool { return v == "default" || v == "inherit" }

// apply writes the flags that were given into o; "default" clears one.
func (p *policyFlags) apply(cmd *cobra.Command, o *settings.Overrides) error {
	for _, s := range settings.PolicySettings {
		if !cmd.Flags().Changed(s.Name) {
			continue
		}
		v := *p.values[s.Name]
		if isInherit(v) {
			s.Clear(o)
			continue
		}
		if err := s.Set(o, v); err != nil {
			return usageErr("--%s: %v", s.Name, err)
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
	out := make([]policyView, 0, len(settings.PolicySettings))
	for _, s := range settings.PolicySettings {
		out = append(out, policyView{Setting: s.Name, Value: s.Show(r.Policy), Source: string(r.Sources[s.Name])})
	}
	return out
}
