package reinject

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// HeaderPrefix starts every header field mailtower adds. Fields from the
// outside that start with it are removed from every copy mailtower hands
// on (live delivery, re-injected copies, releases), so a sender cannot fake
// a verdict or a release.
const HeaderPrefix = "X-Mailtower-"

// IsOwnField reports whether a header field name is one of mailtower's
// (HeaderPrefix in any case).
func IsOwnField(name string) bool {
	name = strings.TrimSpace(name)
	return len(name) >= len(HeaderPrefix) && strings.EqualFold(name[:len(HeaderPrefix)], HeaderPrefix)
}

// Field is one header field to add; Value has no leading space and no
// line break.
type Field struct{ Name, Value string }

// HeaderEdit is what Rewrite changes besides removing mailtower's fields.
type HeaderEdit struct {
	// Top fields go before the first field of the message (trace-like
	// fields: X-Mailtower-Released).
	Top []Field
	// Subject, when set, gets the raw value of the first Subject field
	// (after the colon, folded lines joined by CRLF; "" when there is none)
	// and returns its new raw value.
	Subject func(raw string) string
	// Add fields go after the last field.
	Add []Field
}

// Rewrite returns the raw message with every X-Mailtower-* field removed
// and ed applied. Lines that are not fields (no colon) are kept as they
// are; the body is passed through unread. Added lines end like the
// message's first line (CRLF, or LF in a file stored with LF).
func Rewrite(raw io.Reader, ed HeaderEdit) (io.Reader, error) {
	br := bufio.NewReader(raw)
	var out bytes.Buffer
	eol := ""
	skipping, sawSubject := false, false
	for {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("rewrite header: %w", err)
		}
		if eol == "" {
			eol = "\r\n"
			if strings.HasSuffix(line, "\n") && !strings.HasSuffix(line, "\r\n") {
				eol = "\n"
			}
		}
		if err == io.EOF && line != "" && !strings.HasSuffix(line, "\n") {
			line += eol // a last line without its line break
		}
		if strings.TrimRight(line, "\r\n") == "" { // end of header (or of input)
			break
		}
		if line[0] == ' ' || line[0] == '\t' { // continuation
			if !skipping {
				out.WriteString(line)
			}
			continue
		}
		name, value, isField := strings.Cut(line, ":")
		skipping = isField && IsOwnField(name)
		switch {
		case skipping:
		case isField && ed.Subject != nil && !sawSubject && strings.EqualFold(strings.TrimSpace(name), "Subject"):
			sawSubject = true
			// Read the whole (possibly folded) value before changing it.
			full := strings.TrimRight(value, "\r\n")
			for {
				b, _ := br.Peek(1)
				if len(b) == 0 || (b[0] != ' ' && b[0] != '\t') {
					break
				}
				cont, _ := br.ReadString('\n')
				full += "\r\n" + strings.TrimRight(cont, "\r\n")
			}
			out.WriteString(name + ":" + ed.Subject(full) + eol)
		default:
			out.WriteString(line)
		}
		if err == io.EOF {
			break
		}
	}
	if ed.Subject != nil && !sawSubject {
		out.WriteString("Subject:" + ed.Subject("") + eol)
	}
	for _, f := range ed.Add {
		out.WriteString(f.Name + ": " + f.Value + eol)
	}
	out.WriteString(eol)
	var top bytes.Buffer
	for _, f := range ed.Top {
		top.WriteString(f.Name + ": " + f.Value + eol)
	}
	return io.MultiReader(&top, &out, br), nil
}
