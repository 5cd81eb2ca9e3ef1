package bayes

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// collector gathers one message's distinct tokens as FNV-1a hashes, up to
// max of them. With keep set it also records the token strings (tests,
// `--explain`-style debugging).
type collector struct {
	set  map[uint64]struct{}
	max  int
	keep bool
	strs []string
}

func newCollector(max int, keep bool) *collector {
	return &collector{set: make(map[uint64]struct{}, 256), max: max, keep: keep}
}

// full reports whether the token budget is spent.
func (c *collector) full() bool { return len(c.set) >= c.max }

// add records prefix+word once.
func (c *collector) add(prefix, word string) {
	if c.full() {
		return
	}
	h := fnvString(fnvString(fnvOffset, prefix), word)
	if _, ok := c.set[h]; ok {
		return
	}
	c.set[h] = struct{}{}
	if c.keep {
		c.strs = append(c.strs, prefix+word)
	}
}

func (c *collector) tokens() []uint64 {
	out := make([]uint64, 0, len(c.set))
	for h := range c.set {
		out = append(out, h)
	}
	return out
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvString continues an FNV-1a 64 hash over s; the hash is stable across
// processes and versions, as stored tokens require.
func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// Word length bounds: shorter words carry little, longer ones are mostly
// base64 debris, hashes and URLs; a long word is summarised as
// "skip:<first char> <length rounded down to 10>" as SpamBayes does.
const (
	minWord = 3
	maxWord = 12
)

// trimPunct strips punctuation around a word but keeps it inside
// ("don't", "$100", "e-mail").
func trimPunct(w string) string {
	return strings.TrimFunc(w, func(r rune) bool {
		return r != '$' && r != '%' && (unicode.IsPunct(r) || unicode.IsSymbol(r))
	})
}

// addWords tokenizes text into lower-cased words with prefix, reading at
// most budget bytes; it returns the unread budget.
func (c *collector) addWords(prefix, text string, budget int) int {
	if len(text) > budget {
		text = text[:budget]
	}
	budget -= len(text)
	for len(text) > 0 && !c.full() {
		// Split on white space without allocating a slice of fields.
		i := indexSpace(text)
		var w string
		if i < 0 {
			w, text = text, ""
		} else {
			w = text[:i]
			_, size := utf8.DecodeRuneInString(text[i:])
			text = text[i+size:]
		}
		if w == "" {
			continue
		}
		c.addWord(prefix, w)
	}
	return budget
}

func (c *collector) addWord(prefix, w string) {
	if hasURLPrefix(w) {
		return // URLs are tokenized by addURLs
	}
	if at := strings.IndexByte(w, '@'); at > 0 && at < len(w)-1 {
		// An e-mail address in text: its domain tells more than its words.
		c.add(prefix+"email-domain:", strings.ToLower(trimPunct(w[at+1:])))
		return
	}
	w = trimPunct(w)
	n := utf8.RuneCountInString(w)
	switch {
	case n < minWord:
	case n > maxWord:
		r, _ := utf8.DecodeRuneInString(w)
		c.add(prefix+"skip:", string(unicode.ToLower(r))+" "+strconv.Itoa(n/10*10))
	default:
		c.add(prefix, lower(w))
	}
}

// lower is strings.ToLower without an allocation for lower-case ASCII.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b >= utf8.RuneSelf || ('A' <= b && b <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

func hasURLPrefix(w string) bool {
	l := len(w)
	return l > 7 && (strings.EqualFold(w[:7], "http://") || (l > 8 && strings.EqualFold(w[:8], "https://")) ||
		strings.EqualFold(w[:4], "www."))
}

// isSpace is unicode.IsSpace with a fast path for ASCII.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return r == 0x85 || r == 0xA0 || unicode.IsSpace(r)
}

// indexSpace is strings.IndexFunc(s, unicode.IsSpace), bytewise for ASCII.
func indexSpace(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || '\t' <= c && c <= '\r' {
				return i
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSpace(r) {
			return i
		}
		i += size - 1
	}
	return -1
}
