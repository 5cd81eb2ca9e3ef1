package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// nonEmptyAnnotation marks a flag whose value, when the flag is given,
// must not be empty. Filter flags need it: an empty filter value means
// "no filter", so `quarantine delete --recipient "$UNSET" --yes` would
// select, and delete, everything.
const nonEmptyAnnotation = "mailtower_nonempty"

// requireNonEmpty marks the named flags of fs (they must exist).
func requireNonEmpty(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, nonEmptyAnnotation, []string{"true"}); err != nil {
			panic("cli: requireNonEmpty: " + err.Error()) // a programming error in the command tree
		}
	}
}

// checkNonEmpty refuses a marked flag that was given with an empty
// value (or, for a list flag, an empty element). It runs before every
// command (the root's PersistentPreRunE).
func checkNonEmpty(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) { // Visit sees only the flags given
		if err != nil || f.Annotations[nonEmptyAnnotation] == nil || !emptyValue(f.Value) {
			return
		}
		err = usageErr("--%s: the value must not be empty (an empty filter would select everything)", f.Name)
	})
	return err
}

func emptyValue(v pflag.Value) bool {
	if sv, ok := v.(pflag.SliceValue); ok {
		list := sv.GetSlice()
		for _, s := range list {
			if strings.TrimSpace(s) == "" {
				return true
			}
		}
		return len(list) == 0
	}
	return strings.TrimSpace(v.String()) == ""
}
