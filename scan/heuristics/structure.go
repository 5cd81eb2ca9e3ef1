package heuristics

import (
	"net/url"
	"regexp"
	"strings"

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
			if hidden == "" {
				hidden = hiddenText(h)
			}
			if mismatch == "" {
				mismatch = linkMismatch(h)
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
	if len(m.Problems) > 0 {
		fire(ruleMIMEProblems, short(m.Problems[0].Reason))
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

// hiddenStyle finds CSS and attributes that hide text.
var hiddenStyle = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](px|pt)?\s*[;"']|<font[^>]*\ssize\s*=\s*["']?0`)

func hiddenText(html string) string {
	if loc := hiddenStyle.FindStringIndex(html); loc != nil {
		return short(html[loc[0]:loc[1]])
	}
	return ""
}

// anchor matches <a ... href="X" ...>TEXT</a>; Go's regexp runs in linear
// time, so hostile HTML cannot make it slow.
var anchor = regexp.MustCompile(`(?is)<a\s[^>]*?href\s*=\s*["']?([^"'\s>]+)[^>]*>(.{0,300}?)</a>`)

var tagRE = regexp.MustCompile(`<[^>]*>`)

// linkMismatch returns a description of the first link whose visible
// text is a URL or host name on another domain than its target.
func linkMismatch(html string) string {
	for n, mt := range anchor.FindAllStringSubmatch(html, 200) {
		if n >= 200 {
			break
		}
		target := hostOf(mt[1])
		if target == "" {
			continue
		}
		text := strings.TrimSpace(tagRE.ReplaceAllString(mt[2], ""))
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
