package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mailtower/mailtower/internal/configdoc"
	"github.com/mailtower/mailtower/internal/version"
)

func newConfigReferenceCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "reference",
		Short: "Print the documented default configuration (toml), its reference (md) or man page (man)",
		Long: "Print the configuration reference generated from the code: --format toml is the\n" +
			"commented default file shipped as /etc/mailtower/mailtower.toml (compare it with\n" +
			"yours after an upgrade), md the Markdown reference, man the mailtower.toml(5) page.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			switch format {
			case "toml":
				return configdoc.TOML(out)
			case "md", "markdown":
				return configdoc.Markdown(out)
			case "man":
				return configdoc.Man(out, buildDate(), version.Get().Version)
			}
			return usageErr("--format %q: want toml, md or man", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "toml", "toml, md or man")
	return cmd
}

// newManCmd writes the man pages: mailtower(8) and one page per
// subcommand from the cobra tree, and mailtower.toml(5). Hidden: it is a
// build step (make man), not an admin command.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the man pages into DIR (build step)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			date := buildDate()
			hdr := &doc.GenManHeader{Title: "MAILTOWER", Section: "8", Date: &date,
				Source: "mailtower " + version.Get().Version, Manual: "System Administration"}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			f, err := os.Create(filepath.Join(dir, "mailtower.toml.5"))
			if err != nil {
				return err
			}
			if err := configdoc.Man(f, date, version.Get().Version); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
}

// buildDate is SOURCE_DATE_EPOCH when set (reproducible builds), else the
// binary's build date, else now.
func buildDate() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	if t, err := time.Parse(time.RFC3339, version.Get().Date); err == nil {
		return t.UTC()
	}
	return time.Now().UTC()
}
