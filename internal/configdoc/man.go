package configdoc

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Man writes the mailtower.toml(5) man page. date and version go into the
// page header; pass the build's SOURCE_DATE_EPOCH date for reproducible
// output.
func Man(w io.Writer, date time.Time, version string) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH MAILTOWER.TOML 5 %q %q %q\n", date.UTC().Format("2006-01-02"), "mailtower "+version, "File Formats Manual")
	b.WriteString(`.SH NAME
mailtower.toml \- configuration file of the mailtower mail gateway
.SH SYNOPSIS
.I /etc/mailtower/mailtower.toml
.SH DESCRIPTION
.B mailtower
reads one TOML file, by default
.IR /etc/mailtower/mailtower.toml ,
or the file named by the
.B \-\-config
option or the
.B MAILTOWER_CONFIG
environment variable.
Every key is optional; the defaults below apply to keys left out.
.B mailtower config check
reports every problem in the file at once;
.B systemctl reload mailtower
(SIGHUP) applies a change, except listen addresses and
.BR data_dir ,
which change on restart.
.PP
A
.I duration
is written like "30s", "5m" or "48h"; a
.I size
like "25MB" (decimal, as Postfix counts), "64KiB" (binary) or a plain number of bytes.
`)
	for _, s := range Sections() {
		title := "Top-level keys"
		if s.Path != "" {
			title = s.header()
		}
		if s.Optional {
			title += " (optional section)"
		}
		fmt.Fprintf(&b, ".SS %s\n%s\n", roffQuote(title), roffText(s.Doc))
		for _, k := range s.Keys {
			def := "default " + k.Default
			if ex, ok := examples[join(s.Path, k.Name)]; ok {
				def = "example " + ex
			}
			fmt.Fprintf(&b, ".TP\n.B %s\n(%s, %s)\n%s\n", roffText(k.Name), k.Type, roffText(def), roffText(k.Doc))
		}
	}
	b.WriteString(`.SH FILES
.TP
.I /etc/mailtower/mailtower.toml
the configuration (a conffile of the Debian package)
.TP
.I /var/lib/mailtower
the default data_dir: SQLite database, spool and quarantine
.TP
.I /usr/share/doc/mailtower/config-reference.md
this reference in Markdown
.SH SEE ALSO
.BR mailtower (8),
.BR postconf (5),
.BR master (5)
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// roffText escapes text for a roff line: backslashes, minus signs, and a
// leading dot or quote that roff would read as a request.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffQuote makes s one macro argument.
func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffText(s), `"`, `""`) + `"`
}
