package heuristics

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// The regexps as they ran over a whole HTML part before hiddenText and
// linkMismatch tried them only at candidate positions.
var (
	wholeHidden = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](px|pt)?\s*[;"']|<font[^>]*\ssize\s*=\s*["']?0`)
	wholeAnchor = regexp.MustCompile(`(?is)<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)[^>]*>(.{0,300}?)</a>`)
)

func wholeLinkMismatch(html string) string {
	for _, mt := range wholeAnchor.FindAllStringSubmatch(html, maxLinks) {
		target := hostOf(mt[1])
		if target == "" {
			continue
		}
		text := strings.TrimSpace(tagRE.ReplaceAllString(mt[2], ""))
		if shown := shownHost(text); shown != "" && baseDomain(shown) != baseDomain(target) {
			return short(text) + " -> " + target
		}
	}
	return ""
}

// Random HTML from fragments that start, end and break the patterns:
// the candidate-position search finds what the whole-part search found.
func TestFastHTMLChecksMatchWholeRegexps(t *testing.T) {
	frags := []string{"<a href=\"http://a.example/x\">", "<A HREF='https://b.example'>", "</a>", "</A>", "www.c.example",
		"http://d.example/", "<b>", "</b>", " ", "\n", "text", "DISPLAY : NONE", "display:", "none", "visibility:hidden",
		"font-size:0px;", "font-size: 1pt'", "<font", " size=\"0\"", ">", "<a", " href=", "\"", "'", "é", "<FONT color=red SIZE=0>",
		strings.Repeat("x", 290), " size = '0'", "font-size :1px ;", "\tsize=0", "size", "=", "0", "1", "pt", ":", "\f", "<a\thref=http://e.example>www.f.example</a>"}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		var sb strings.Builder
		for n := r.Intn(30); n > 0; n-- {
			sb.WriteString(frags[r.Intn(len(frags))])
		}
		h := sb.String()
		want := ""
		if loc := wholeHidden.FindStringIndex(h); loc != nil {
			want = short(h[loc[0]:loc[1]])
		}
		if got := hiddenText(h, lowerASCII(h)); got != want {
			t.Fatalf("hiddenText(%q) = %q, want %q", h, got, want)
		}
		if got, want := linkMismatch(h, lowerASCII(h)), wholeLinkMismatch(h); got != want {
			t.Fatalf("linkMismatch(%q) = %q, want %q", h, got, want)
		}
	}
}
