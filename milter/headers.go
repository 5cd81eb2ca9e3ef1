package milter

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/d--j/go-milter/mailfilter/header"
)

// field is one header field to add.
type field struct{ name, value string }

// headerEdit is what changes in the header of one delivered copy.
type headerEdit struct {
	tag string
	add []field
}

// editFor returns the header changes for recipients sharing plan p.
func editFor(p recipientPlan, engines []string, hostname string) headerEdit {
	ed := headerEdit{tag: p.Tag}
	ed.add = append(ed.add,
		field{"X-Mailtower-Verdict", string(p.Verdict.Category)},
		field{"X-Mailtower-Score", fmt.Sprintf("%.1f", p.Verdict.Score)})
	if rules := p.Verdict.RuleNames(); len(rules) > 0 {
		ed.add = append(ed.add, field{"X-Mailtower-Rules", strings.Join(rules, ", ")})
	}
	scanned := "by mailtower"
	if hostname != "" {
		scanned += " on " + hostname
	}
	if len(engines) > 0 {
		scanned += " (" + strings.Join(engines, ", ") + ")"
	}
	ed.add = append(ed.add, field{"X-Mailtower-Scanned", scanned})
	return ed
}

func isOurs(key string) bool {
	return len(key) >= len(HeaderPrefix) && strings.EqualFold(key[:len(HeaderPrefix)], HeaderPrefix)
}

// applyToTrx applies ed to the message Postfix will deliver.
func applyToTrx(h header.Header, ed headerEdit) {
	fields := h.Fields()
	for fields.Next() {
		if isOurs(fields.Key()) {
			fields.Del()
		}
	}
	if ed.tag != "" {
		if v, changed := tagSubject(h.Value("Subject"), ed.tag); changed {
			h.Set("Subject", v)
		}
	}
	for _, a := range ed.add {
		h.Add(a.name, " "+a.value)
	}
}

// rewrite returns the raw message with ed applied, for a copy that is
// re-injected: the same edits as applyToTrx, on bytes. Header lines that
// are not fields (no colon) are kept as they are.
func rewrite(raw io.Reader, ed headerEdit) (io.Reader, error) {
	br := bufio.NewReader(raw)
	var out bytes.Buffer
	skipping, sawSubject := false, false
	for {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("rewrite header: %w", err)
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
		skipping = isField && isOurs(name)
		switch {
		case skipping:
		case isField && strings.EqualFold(strings.TrimSpace(name), "Subject") && ed.tag != "" && !sawSubject:
			sawSubject = true
			// Read the whole (possibly folded) value before tagging.
			full := strings.TrimRight(value, "\r\n")
			for {
				b, _ := br.Peek(1)
				if len(b) == 0 || (b[0] != ' ' && b[0] != '\t') {
					break
				}
				cont, _ := br.ReadString('\n')
				full += "\r\n" + strings.TrimRight(cont, "\r\n")
			}
			v, _ := tagSubject(full, ed.tag)
			out.WriteString(name + ":" + v + "\r\n")
		default:
			out.WriteString(line)
		}
		if err == io.EOF {
			break
		}
	}
	if ed.tag != "" && !sawSubject {
		v, _ := tagSubject("", ed.tag)
		out.WriteString("Subject:" + v + "\r\n")
	}
	for _, a := range ed.add {
		out.WriteString(a.name + ": " + a.value + "\r\n")
	}
	out.WriteString("\r\n")
	return io.MultiReader(&out, br), nil
}
