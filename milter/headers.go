package milter

import (
	"fmt"
	"io"
	"strings"

	"github.com/d--j/go-milter/mailfilter/header"

	"github.com/mailtower/mailtower/reinject"
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

// applyToTrx applies ed to the message Postfix will deliver.
func applyToTrx(h header.Header, ed headerEdit) {
	fields := h.Fields()
	for fields.Next() {
		if reinject.IsOwnField(fields.Key()) {
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
// re-injected: the same edits as applyToTrx, on bytes (reinject.Rewrite
// also removes every X-Mailtower-* field).
func rewrite(raw io.Reader, ed headerEdit) (io.Reader, error) {
	re := reinject.HeaderEdit{}
	for _, a := range ed.add {
		re.Add = append(re.Add, reinject.Field{Name: a.name, Value: a.value})
	}
	if ed.tag != "" {
		re.Subject = func(v string) string {
			v, _ = tagSubject(v, ed.tag)
			return v
		}
	}
	return reinject.Rewrite(raw, re)
}
