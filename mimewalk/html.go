package mimewalk

import (
	"html"
	"strings"
)

// blockTags break words apart when rendered; every other tag (b, span,
// font, a, ...) is inline, so "V<b></b>iagra" reads "Viagra" as in a client.
var blockTags = map[string]bool{
	"br": true, "p": true, "div": true, "tr": true, "td": true, "th": true, "li": true,
	"ul": true, "ol": true, "table": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "title": true, "hr": true, "blockquote": true, "pre": true,
	"body": true, "html": true, "section": true, "article": true, "header": true,
	"footer": true, "dt": true, "dd": true, "img": true,
}

// invisible runes that clients do not render and that split words to fool
// filters: zero-width space/joiners, word joiner, BOM, soft hyphen.
var invisible = strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "", "\u00ad", "", "\u00a0", " ")

// HTMLText returns the text a reader sees in an HTML document: tags,
// comments, scripts and styles removed, entities decoded, invisible
// word-splitting characters dropped, white space collapsed (a line break
// where a block element ends). It never fails; its output is never longer
// than its input.
func HTMLText(s string) string {
	var b strings.Builder
	b.Grow(len(s) / 2)
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+lt])
		i += lt
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				i = len(s)
			} else {
				i += 4 + end + 3
			}
			continue
		case len(rest) > 1 && (isLetter(rest[1]) || rest[1] == '/' || rest[1] == '!' || rest[1] == '?'):
		default:
			b.WriteByte('<')
			i++
			continue
		}
		name, end := tagAt(rest)
		i += end
		switch name {
		case "script", "style":
			close := indexFold(s[i:], "</"+name)
			if close < 0 {
				i = len(s)
				continue
			}
			i += close
			_, e := tagAt(s[i:])
			i += e
		default:
			if blockTags[strings.TrimPrefix(name, "/")] {
				b.WriteByte('\n')
			}
		}
	}
	return collapse(invisible.Replace(html.UnescapeString(b.String())))
}

// tagAt reads the tag at the start of s ("<name ...>") and returns its
// lower-case name ("/p" for a closing tag) and its length. Quoted
// attribute values may contain '>'.
func tagAt(s string) (string, int) {
	j := 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	for j < len(s) && (isLetter(s[j]) || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	name := strings.ToLower(s[1:j])
	var quote byte
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return name, j + 1
		}
	}
	return name, len(s)
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// indexFold is strings.Index ignoring ASCII case of substr's letters.
func indexFold(s, substr string) int {
	n := len(substr)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], substr) {
			return i
		}
	}
	return -1
}

// collapse turns each run of white space into one space, or one line
// break when the run holds one, and trims the ends.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	ws, nl := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n', '\f', '\v':
			ws = true
			nl = nl || c == '\n'
			continue
		}
		if ws && b.Len() > 0 {
			if nl {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		ws, nl = false, false
		// Byte by byte: the white space above is ASCII, which never
		// occurs inside a UTF-8 sequence, and invalid bytes stay as they
		// are (a replacement rune would be longer than the input).
		b.WriteByte(s[i])
	}
	return b.String()
}
