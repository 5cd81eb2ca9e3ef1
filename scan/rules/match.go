package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// maxEvidence bounds how many places one finding's reason names.
const maxEvidence = 3

// typeMatches reports whether a block-filetype value matches a file: its
// extension or detected type, or a group (executable, archive) it is in.
func typeMatches(value string, exts map[string]bool) bool {
	if exts[value] {
		return true
	}
	for _, e := range groups[value] {
		if exts[e] {
			return true
		}
	}
	return false
}

// describe says why f matched value, for a reason.
func describe(f file) string {
	if f.Desc != "" {
		return f.Where + " is " + f.Desc
	}
	if f.Opaque != "" {
		return f.Where + " (" + f.Opaque + ")"
	}
	return f.Where
}

func evidence(list []string) string {
	s := strings.Join(list[:min(len(list), maxEvidence)], "; ")
	if len(list) > maxEvidence {
		s += fmt.Sprintf(" (and %d more)", len(list)-maxEvidence)
	}
	return s
}

// fileFindings applies block-filetype rules to the files of a message.
func fileFindings(uses []*ruleUse, files []file) []scan.Finding {
	var out []scan.Finding
	withRules := map[string]bool{} // recipients with a file-type rule
	global := false
	for _, u := range uses {
		if u.rule.Kind != settings.BlockFiletype {
			continue
		}
		for _, r := range u.recipients {
			withRules[r] = true
		}
		global = global || u.rule.Scope.Kind == settings.ScopeGlobal
		var hits []string
		for _, f := range files {
			if typeMatches(u.rule.Value, f.Exts) {
				hits = append(hits, describe(f))
			}
		}
		if len(hits) > 0 {
			out = append(out, scan.Finding{Scanner: Name, Category: scan.Content,
				Rule:       "block-filetype:" + u.rule.Value,
				Reason:     fmt.Sprintf("%s: %s", ruleLabel(u.rule), evidence(hits)),
				Recipients: u.findingRecipients()})
		}
	}
	if len(withRules) == 0 {
		return out
	}
	var opaque []string
	for _, f := range files {
		if f.Opaque != "" {
			opaque = append(opaque, describe(f))
		}
	}
	if len(opaque) > 0 {
		f := scan.Finding{Scanner: Name, Category: scan.Content, Rule: RuleEncrypted,
			Reason: "archive content cannot be checked against block-filetype rules: " + evidence(opaque)}
		if !global {
			for r := range withRules {
				f.Recipients = append(f.Recipients, r)
			}
			sort.Strings(f.Recipients)
		}
		out = append(out, f)
	}
	return out
}

// text is one piece of decoded text the content rules look at.
type text struct {
	where, s string
}

// texts lists the decoded subject(s) and the text of every text part; an
// HTML part is looked at as markup and as the text a reader sees.
func texts(m *mimewalk.Message) []text {
	var out []text
	// Every Subject field: with duplicates, clients differ in which one
	// they show.
	for _, v := range m.Header.Values("Subject") {
		out = append(out, text{"subject", mimewalk.DecodeWords(v)})
	}
	for _, p := range m.Parts {
		if p.Embedded != nil {
			inner := "1"
			if p.Path != "" {
				inner = p.Path + ".1"
			}
			out = append(out, text{"subject of part " + inner, p.Embedded.Subject()})
		}
		if p.Text == "" && !strings.HasPrefix(p.MediaType, "text/") {
			continue // not text (an empty text part is still looked at)
		}
		where := "part " + p.Path + " (" + p.MediaType + ")"
		if p.Path == "" {
			where = "body (" + p.MediaType + ")"
		}
		out = append(out, text{where, p.Text})
		if p.MediaType == "text/html" {
			out = append(out, text{where + " visible text", mimewalk.HTMLText(p.Text)})
		}
	}
	return out
}

// contentFindings applies block-content patterns.
func (s *Scanner) contentFindings(uses []*ruleUse, m *mimewalk.Message) []scan.Finding {
	var out []scan.Finding
	var ts []text
	for _, u := range uses {
		if u.rule.Kind != settings.BlockContent {
			continue
		}
		re := s.regexp(u.rule)
		if re == nil {
			continue
		}
		if ts == nil {
			ts = texts(m)
		}
		for _, t := range ts {
			// MatchString first: it needs no match positions, and most
			// texts do not match.
			if !re.MatchString(t.s) {
				continue
			}
			if loc := re.FindStringIndex(t.s); loc != nil {
				out = append(out, scan.Finding{Scanner: Name, Category: scan.Content,
					Rule:       fmt.Sprintf("block-content:#%d", u.rule.ID),
					Reason:     fmt.Sprintf("%s matched %s: %q", ruleLabel(u.rule), t.where, excerpt(t.s, loc)),
					Recipients: u.findingRecipients()})
				break
			}
		}
	}
	return out
}

// excerpt is the matched text, shortened for a reason.
func excerpt(s string, loc []int) string {
	m := s[loc[0]:loc[1]]
	if len(m) > 60 {
		m = strings.ToValidUTF8(m[:60], "") + "…"
	}
	return m
}
