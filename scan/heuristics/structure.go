package heuristics

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mailtower/mailtower/mimewalk"
)

// Structure rules.
var (
	ruleHTMLOnly     = rule("HTML_ONLY", 0.5, "HTML without a plain-text alternative")
	ruleHiddenText   = rule("HTML_HIDDEN_TEXT", 1.5, "HTML hides text from the reader (display:none, zero-size or invisible font)")
	ruleLinkMismatch = rule("HTML_LINK_MISMATCH", 2.0, "a link's text names another host than the link goes to")
	ruleExecutable   = rule("EXECUTABLE_ATTACHMENT", 3.0, "attachment with an executable file name")
	ruleDoubleExt    = rule("ATTACHMENT_DOUBLE_EXT", 1.5, "attachment name hides an executable behind a document extension")
	ruleMIMEProblems = rule("MIME_MALFORMED", 0.5, "the MIME structure is malformed")
)

// maxHTML bounds the HTML examined per part.
const maxHTML = 512 << 10

// executableExts are file name extensions Windows, macOS or a browser
// run when opened.
var executableExts = map[string]bool{"exe": true, "scr": true, "pif": true, "com": true, "bat": true, "cmd": true,
	"vbs": true, "vbe": true, "js": true, "jse": true, "wsf": true, "wsh": true, "hta": true, "cpl": true,
	"msi": true, "msp": true, "jar": true, "lnk": true, "ps1": true, "reg": true, "scf": true, "app": true,
	"dll": true, "iso": true, "img": true, "vhd": true, "xll": true, "chm": true}

// docExts are the extensions an executable's name pretends to have.
var docExts = map[string]bool{"pdf": true, "doc": true, "docx": true, "xls": true, "xlsx": true, "txt": true,
	"jpg": true, "jpeg": true, "png": true, "gif": true, "zip": true, "rtf": true, "htm": true, "html": true}

func checkStructure(m *mimewalk.Message, fire firer) {
	var html, plain bool
	hidden, mismatch := "", ""
	for i := range m.Parts {
		p := &m.Parts[i]
		if p.Body == nil && (strings.HasPrefix(p.MediaType, "multipart/") || p.MediaType == "message/rfc822") {
			continue
		}
		if p.Attachment || p.Filename != "" {
			checkAttachmentName(p.Filename, fire)
			continue
		}
		switch p.MediaType {
		case "text/plain":
			plain = true
		case "text/html":
			html = true
			h := p.Text
			if len(h) > maxHTML {
				h = h[:maxHTML]
			}
			if hidden != "" && mismatch != "" {
				continue
			}
			low := lowerASCII(h)
			if hidden == "" {
				hidden = hiddenText(h, low)
			}
			if mismatch == "" {
				mismatch = linkMismatch(h, low)
			}
		}
	}
	if html && !plain {
		fire(ruleHTMLOnly, "")
	}
	if hidden != "" {
		fire(ruleHiddenText, hidden)
	}
	if mismatch != "" {
		fire(ruleLinkMismatch, mismatch)
	}
	// Only problems that make the structure ambiguous count: the notes
	// (an unknown charset, an 8-bit header, ...) are common in
	// legitimate mail.
	if bad := m.Malformed(); len(bad) > 0 {
		fire(ruleMIMEProblems, short(bad[0].Reason))
	}
}

func checkAttachmentName(name string, fire firer) {
	name = strings.ToLower(strings.TrimRight(name, ". "))
	parts := strings.Split(name, ".")
	if len(parts) < 2 || !executableExts[parts[len(parts)-1]] {
		return
	}
	fire(ruleExecutable, short(name))
	if len(parts) >= 3 && docExts[parts[len(parts)-2]] {
		fire(ruleDoubleExt, short(name))
	}
}

// hiddenText finds CSS and attributes that hide text, as the regexp
//
//	(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](px|pt)?\s*[;"']|<font[^>]*\ssize\s*=\s*["']?0
//
// would (leftmost match, its text), by hand: the regexp over a whole
// large HTML part cost milliseconds a message.
//
// low is lowerASCII(html).
func hiddenText(html, low string) string {
	// next[k] is the next position of hiddenStarts[k] not yet tried
	// (-1: none left); each keyword is searched for once per occurrence.
	var next [len(hiddenStarts)]int
	find := func(k, from int) {
		next[k] = -1
		if j := strings.Index(low[from:], hiddenStarts[k].word); j >= 0 {
			next[k] = from + j
		}
	}
	for k := range hiddenStarts {
		find(k, 0)
	}
	for {
		k := -1
		for i, p := range next {
			if p >= 0 && (k < 0 || p < next[k]) {
				k = i
			}
		}
		if k < 0 {
			return ""
		}
		at := next[k]
		if end := hiddenStarts[k].match(low, at+len(hiddenStarts[k].word)); end >= 0 {
			return short(html[at:end])
		}
		find(k, at+1)
	}
}

// hiddenStarts are the words a hiding construct starts with, and the
// matcher of the rest after the word: the end of the match, or -1.
var hiddenStarts = [4]struct {
	word  string
	match func(s string, i int) int
}{
	{"display", func(s string, i int) int { return colonThen(s, i, "none") }},
	{"visibility", func(s string, i int) int { return colonThen(s, i, "hidden") }},
	{"font-size", func(s string, i int) int {
		i = colonThen(s, i, "")
		if i < 0 || i >= len(s) || (s[i] != '0' && s[i] != '1') {
			return -1
		}
		i++
		if strings.HasPrefix(s[i:], "px") || strings.HasPrefix(s[i:], "pt") {
			i += 2
		}
		i = skipSpace(s, i)
		if i < len(s) && (s[i] == ';' || s[i] == '"' || s[i] == '\'') {
			return i + 1
		}
		return -1
	}},
	{"<font", fontSizeZero},
}

// colonThen matches \s*:\s*WORD at s[i:].
func colonThen(s string, i int, word string) int {
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != ':' {
		return -1
	}
	i = skipSpace(s, i+1)
	if !strings.HasPrefix(s[i:], word) {
		return -1
	}
	return i + len(word)
}

// fontSizeZero matches [^>]*\ssize\s*=\s*["']?0 at s[i:], greedily: the
// last such size attribute before the tag's end.
func fontSizeZero(s string, i int) int {
	end := len(s)
	if j := strings.IndexByte(s[i:], '>'); j >= 0 {
		end = i + j
	}
	for j := end - len("size"); j > i; j-- {
		if !strings.HasPrefix(s[j:], "size") || !isSpace(s[j-1]) {
			continue
		}
		k := skipSpace(s, j+len("size"))
		if k >= len(s) || s[k] != '=' {
			continue
		}
		k = skipSpace(s, k+1)
		if k < len(s) && (s[k] == '"' || s[k] == '\'') && k+1 < len(s) && s[k+1] == '0' {
			return k + 2
		}
		if k < len(s) && s[k] == '0' {
			return k + 1
		}
	}
	return -1
}

// isSpace is RE2's \s.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// lowerASCII lower-cases ASCII letters only, so that byte offsets into
// the result are offsets into s.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// anchorTag matches the start tag <a ... href="X" ...> at the start of
// its input; linkMismatch tries it at each "<a" only and finds the link's
// text itself: together they are the regexp
//
//	(?is)<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)[^>]*>(.{0,300}?)</a>
//
// without running it over a whole HTML part (Go's regexp runs in linear
// time, so hostile HTML cannot make it slow either way).
var anchorTag = regexp.MustCompile(`(?is)^<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)[^>]*>`)

var tagRE = regexp.MustCompile(`<[^>]*>`)

// maxLinks is the most links linkMismatch looks at.
const maxLinks = 200

// maxLinkText is the most characters of a link's text.
const maxLinkText = 300

// linkMismatch returns a description of the first link whose visible
// text is a URL or host name on another domain than its target; low is
// lowerASCII(html).
func linkMismatch(html, low string) string {
	for i, n := 0, 0; n < maxLinks; {
		j := strings.Index(low[i:], "<a")
		if j < 0 {
			return ""
		}
		start := i + j
		tagEnd := len(html)
		if k := strings.IndexByte(html[start:], '>'); k >= 0 {
			tagEnd = start + k + 1
		}
		mt := anchorTag.FindStringSubmatchIndex(html[start:tagEnd])
		if mt == nil {
			i = start + 2
			continue
		}
		// The text: up to the first "</a>" within maxLinkText characters.
		window := low[tagEnd:min(len(low), tagEnd+maxLinkText*utf8.UTFMax+len("</a>"))]
		k := strings.Index(window, "</a>")
		if k < 0 || utf8.RuneCountInString(html[tagEnd:tagEnd+k]) > maxLinkText {
			i = start + 2
			continue
		}
		n++
		i = tagEnd + k + len("</a>")
		target := hostOf(html[start+mt[2] : start+mt[3]])
		if target == "" {
			continue
		}
		text := strings.TrimSpace(tagRE.ReplaceAllString(html[tagEnd:tagEnd+k], ""))
		shown := shownHost(text)
		if shown == "" {
			continue
		}
		if baseDomain(shown) != baseDomain(target) {
			return short(text) + " -> " + target
		}
	}
	return ""
}

// hostOf returns the lower-cased host of an http(s) URL.
func hostOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// shownHost is the host a link's text claims: a URL, or a bare host name
// with a dot and a plausible top-level domain ("www.paypal.com").
func shownHost(text string) string {
	if strings.ContainsAny(text, " \t\n") || len(text) > 200 {
		return ""
	}
	low := strings.ToLower(text)
	if strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") {
		return hostOf(low)
	}
	if strings.HasPrefix(low, "www.") {
		return hostOf("http://" + low)
	}
	return ""
}

// baseDomain is the last two labels of a host (three under a two-letter
// second level such as co.uk), good enough to tell sites apart.
func baseDomain(host string) string {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	n := 2
	if len(labels) >= 3 && len(labels[len(labels)-1]) == 2 && len(labels[len(labels)-2]) <= 3 {
		n = 3
	}
	if len(labels) <= n {
		return host
	}
	return strings.Join(labels[len(labels)-n:], ".")
}
