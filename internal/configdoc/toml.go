package configdoc

import (
	"fmt"
	"io"
	"strings"
)

// TOML writes the commented default configuration file. Every key is
// shown commented out with its default and description: a key left out
// keeps its default, so later releases can improve defaults without the
// admin editing the file. Optional scanner sections are commented out with
// the Debian packages' addresses.
func TOML(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# /etc/mailtower/mailtower.toml: configuration of mailtower, the filtering
# mail gateway for Postfix. Reference: mailtower.toml(5) and
# /usr/share/doc/mailtower/config-reference.md.
#
# Every key is shown commented out with its default value: uncomment a line
# to change it. A key left out keeps its default.
#
# After editing: "mailtower config check" reports every problem at once;
# "systemctl reload mailtower" applies the change (listen addresses and
# data_dir change on restart).
#
# Generated from the code (mailtower config reference --format toml).
`)
	for _, s := range Sections() {
		b.WriteString("\n")
		writeComment(&b, s.Doc, "# ")
		prefix := "#"
		if s.Path != "" {
			if s.Optional {
				b.WriteString("# To use this engine, uncomment the section header and its address.\n")
				b.WriteString("#" + s.header() + "\n")
			} else {
				b.WriteString(s.header() + "\n")
			}
		}
		for _, k := range s.Keys {
			writeComment(&b, k.Doc, "# ")
			fmt.Fprintf(&b, "%s%s = %s\n", prefix, k.Name, k.Value(s.Path))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeComment wraps text at 76 columns behind prefix.
func writeComment(b *strings.Builder, text, prefix string) {
	for _, l := range wrap(text, 76-len(prefix)) {
		b.WriteString(strings.TrimRight(prefix+l, " ") + "\n")
	}
}

// wrap breaks text into lines of at most width runes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
