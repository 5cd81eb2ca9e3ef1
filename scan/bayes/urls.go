package bayes

import (
	"net/netip"
	"strings"
)

// maxURLs bounds how many URLs of one message are tokenized.
const maxURLs = 100

// addURLs finds http(s):// and www. URLs in text (plain text, or raw HTML
// where they sit in href attributes) and adds, for each, its scheme, its
// host, the host's domain suffixes (a.b.example.com gives example.com,
// b.example.com, ...) and its path words.
func (c *collector) addURLs(text string, seen *int) {
	for *seen < maxURLs && !c.full() {
		i := indexURL(text)
		if i < 0 {
			return
		}
		text = text[i:]
		end := strings.IndexAny(text, " \t\r\n\"'<>()[]{}|\\^`")
		if end < 0 {
			end = len(text)
		}
		raw := text[:end]
		text = text[end:]
		*seen++
		c.addURL(raw)
	}
}

// indexURL returns the start of the next "http://", "https://" or "www."
// (any case) in text, or -1: one pass over the bytes.
func indexURL(text string) int {
	for i := 0; i+4 <= len(text); i++ {
		switch text[i] | 0x20 {
		case 'h':
			if r := text[i:]; len(r) >= 7 && strings.EqualFold(r[:7], "http://") || len(r) >= 8 && strings.EqualFold(r[:8], "https://") {
				return i
			}
		case 'w':
			if strings.EqualFold(text[i:i+4], "www.") {
				return i
			}
		}
	}
	return -1
}

func (c *collector) addURL(raw string) {
	scheme := "http"
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		scheme = strings.ToLower(rest[:i])
		rest = rest[i+3:]
	}
	c.add("proto:", scheme)
	host, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		c.add("url:", "userinfo") // http://bank.com@evil.example/
		host = host[i+1:]
	}
	host = strings.TrimSuffix(strings.ToLower(hostOnly(host)), ".")
	if host == "" {
		return
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		c.add("url:", "ip-host")
	} else {
		c.add("url-host:", host)
		labels := strings.Split(host, ".")
		for k := 2; k <= len(labels) && k <= 4; k++ {
			c.add("url-domain:", strings.Join(labels[len(labels)-k:], "."))
		}
	}
	for _, w := range strings.FieldsFunc(path, func(r rune) bool { return strings.ContainsRune("/?#&=.;,+_-", r) }) {
		if len(w) >= minWord && len(w) <= maxWord {
			c.add("url:", lower(w))
		}
	}
}

// hostOnly strips a :port.
func hostOnly(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}
