package configdoc

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the configuration reference.
func Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# Configuration reference

<!-- Generated from internal/config by internal/configdoc: do not edit.
     Regenerate with: go test ./internal/configdoc -update -->

mailtower reads one TOML file: ` + "`/etc/mailtower/mailtower.toml`" + `, or the file named by
` + "`--config`" + ` or ` + "`$MAILTOWER_CONFIG`" + `. Every key is optional; the defaults below
apply to keys left out. ` + "`mailtower config check`" + ` reports every problem at once.
The packaged file ([contrib/mailtower.toml](../contrib/mailtower.toml)) lists every
key, commented out, with its default. The same reference is the man page
mailtower.toml(5).

Types: a *duration* is written like "30s", "5m", "48h"; a *size* like "25MB"
(decimal: 25,000,000 bytes, as Postfix counts), "64KiB" (binary) or a plain
number of bytes.

`)
	for _, s := range Sections() {
		title := "Top level"
		if s.Path != "" {
			title = "`" + s.header() + "`"
		}
		if s.Optional {
			title += " (optional)"
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", title, s.Doc)
		b.WriteString("| key | type | default | meaning |\n|---|---|---|---|\n")
		for _, k := range s.Keys {
			def := "`" + k.Default + "`"
			if ex, ok := examples[join(s.Path, k.Name)]; ok {
				def = "none; e.g. `" + ex + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.Name, k.Type, def, strings.ReplaceAll(k.Doc, "|", `\|`))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}
