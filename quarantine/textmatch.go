package quarantine

import "strings"

// TextMatch returns the SQL condition (and its arguments) that matches
// what an admin typed against a store's text index. On SQLite that is
// ftsCond, a condition with one ? for the FTS4 MATCH expression
// (ftsQuery). On PostgreSQL, which has no FTS4, every word must occur in
// pgColumn, a text column folded by mailtower_fold (lower case, no
// accents, as FTS4's unicode61 tokenizer folds) with a trigram index: a substring
// match, so a word also finds longer words it is part of (FTS4 matches
// whole tokens, and word prefixes with a trailing "*").
func TextMatch(text, ftsCond, pgColumn string, pg bool) (string, []any, error) {
	q, err := ftsQuery(text) // also checks that there is a word
	if err != nil {
		return "", nil, err
	}
	if !pg {
		return ftsCond, []any{q}, nil
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	var conds []string
	var args []any
	for _, w := range strings.Fields(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '"' || r == '*' {
			return ' '
		}
		return r
	}, text)) {
		conds = append(conds, pgColumn+` LIKE mailtower_fold(?) ESCAPE '\'`)
		args = append(args, "%"+esc.Replace(w)+"%")
	}
	return "(" + strings.Join(conds, " AND ") + ")", args, nil
}
