package bayes

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
)

// Limits bound the tokenizer's work on one message.
type Limits struct {
	// MaxTokens is the most distinct tokens taken from one message.
	MaxTokens int
	// MaxText is the most bytes of decoded text tokenized per message.
	MaxText int
	// Walk bounds the MIME walk (depth, parts, sizes); zero fields take
	// mimewalk's defaults.
	Walk mimewalk.Limits
}

// DefaultLimits keep a message's tokens and work bounded: typical mail
// yields 100-600 tokens, so the cap only bites on hostile input.
var DefaultLimits = Limits{MaxTokens: 3000, MaxText: 512 << 10}

// Tokenizer turns messages into Features. It is safe for concurrent use.
type Tokenizer struct {
	lim Limits
}

// NewTokenizer returns a tokenizer with lim; zero fields take
// DefaultLimits'.
func NewTokenizer(lim Limits) *Tokenizer {
	if lim.MaxTokens <= 0 {
		lim.MaxTokens = DefaultLimits.MaxTokens
	}
	if lim.MaxText <= 0 {
		lim.MaxText = DefaultLimits.MaxText
	}
	return &Tokenizer{lim: lim}
}

// Features are what the classifier and the store need of one message.
type Features struct {
	// Digest is the message's normalised-content digest.
	Digest Digest
	// Tokens are the distinct token hashes.
	Tokens []uint64
	// Strings are the tokens as text, only from TokenStrings.
	Strings []string
}

// Tokenize reads a whole message and returns its features. Malformed
// MIME is not an error (the walker reports problems and keeps what it
// could read); only a failing reader is.
func (t *Tokenizer) Tokenize(r io.Reader) (*Features, error) {
	return t.tokenize(r, false)
}

// TokenStrings is Tokenize keeping the token strings (tests, debugging).
func (t *Tokenizer) TokenStrings(r io.Reader) (*Features, error) {
	return t.tokenize(r, true)
}

func (t *Tokenizer) tokenize(r io.Reader, keep bool) (*Features, error) {
	m, err := mimewalk.Walk(r, t.lim.Walk)
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	return t.features(m, keep), nil
}

// TokenizeMessage is Tokenize for a message under scan, reusing the MIME
// walk the other engines share (scan.Message.Walk).
func (t *Tokenizer) TokenizeMessage(msg *scan.Message) (*Features, error) {
	m, err := msg.Walk(t.lim.Walk)
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	return t.features(m, false), nil
}

// features turns a walked message into tokens and its digest.
func (t *Tokenizer) features(m *mimewalk.Message, keep bool) *Features {
	c := newCollector(t.lim.MaxTokens, keep)
	t.addHeaders(c, m)
	t.addParts(c, m)
	for _, p := range m.Problems {
		if p.Malformed {
			c.add("mime:", "malformed")
		} else {
			c.add("mime:", "problem")
		}
	}
	return &Features{Digest: digest(m), Tokens: c.tokens(), Strings: c.strs}
}

// addParts tokenizes every part: its type, attachment names, and the
// words and URLs of text parts (HTML reduced to visible text, with URLs
// taken from the markup, where hrefs are).
func (t *Tokenizer) addParts(c *collector, m *mimewalk.Message) {
	budget := t.lim.MaxText
	urls := 0
	htmlOnly := true
	for i := range m.Parts {
		p := &m.Parts[i]
		c.add("ct:", p.MediaType)
		if p.Body == nil && (strings.HasPrefix(p.MediaType, "multipart/") || p.MediaType == "message/rfc822") {
			continue // a container: its parts follow
		}
		if cs := p.Params["charset"]; cs != "" {
			c.add("charset:", strings.ToLower(cs))
		}
		if te := p.Header.Get("Content-Transfer-Encoding"); te != "" {
			c.add("cte:", strings.ToLower(strings.TrimSpace(te)))
		}
		if p.Attachment && !strings.HasPrefix(p.MediaType, "text/") || p.Filename != "" {
			t.addAttachment(c, p)
			continue
		}
		switch p.MediaType {
		case "text/plain":
			htmlOnly = false
			c.addURLs(p.Text, &urls)
			addTextShape(c, p.Text)
			budget = c.addWords("", p.Text, budget)
		case "text/html":
			c.addURLs(p.Text, &urls)
			addHTMLTags(c, p.Text)
			visible := mimewalk.HTMLText(p.Text)
			addTextShape(c, visible)
			budget = c.addWords("", visible, budget)
		}
		if budget <= 0 || c.full() {
			c.add("limit:", "text")
			break
		}
	}
	if htmlOnly && len(m.Parts) > 0 {
		c.add("struct:", "no-text-plain")
	}
	c.add("struct:parts:", strconv.Itoa(min(len(m.Parts), 10)))
	if p := m.Parts; len(p) > 0 && p[0].Truncated {
		c.add("struct:", "truncated")
	}
}

func (t *Tokenizer) addAttachment(c *collector, p *mimewalk.Part) {
	c.add("att-type:", p.MediaType)
	name := strings.ToLower(p.Filename)
	if name == "" {
		c.add("att:", "no-name")
		return
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 8 {
		c.add("att-ext:", name[i+1:])
	}
	c.addWords("att-name:", strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' {
			return ' '
		}
		return r
	}, name), 256)
}

// addTextShape adds how a text looks: its share of capital letters and of
// non-ASCII characters, in 10% steps (SpamBayes' "8bit%" token; shouting
// and foreign-script mail stand out even when their words are unknown).
func addTextShape(c *collector, text string) {
	if len(text) > 64<<10 {
		text = text[:64<<10]
	}
	var letters, upper, high, total int
	for _, r := range text {
		switch {
		case r >= 'A' && r <= 'Z':
			letters++
			upper++
		case r >= 'a' && r <= 'z':
			letters++
		case r >= 0x80:
			high++
		}
		if r > ' ' {
			total++
		}
	}
	if letters >= 20 {
		c.add("caps%:", strconv.Itoa(upper*10/letters*10))
	}
	if total >= 20 && high > 0 {
		c.add("8bit%:", strconv.Itoa(high*10/total*10))
	}
}

// htmlTags are the tags whose presence is a token: layout and tricks
// spam favours, and the ones hand-written mail lacks.
var htmlTags = [...]string{"<table", "<font", "<img", "<center", "<form", "<script", "<iframe", "<style",
	"<map", "<area", "<input", "<object", "<embed", "<base", "<meta", "<!--"}

func addHTMLTags(c *collector, html string) {
	if len(html) > 256<<10 {
		html = html[:256<<10]
	}
	// One pass over the '<'s, comparing the tag names case-insensitively
	// (lower-casing the whole part and searching it once per tag cost a
	// tenth of a large HTML message's tokenizing).
	var found [len(htmlTags)]bool
	left := len(htmlTags)
	for i := 0; left > 0; {
		j := strings.IndexByte(html[i:], '<')
		if j < 0 {
			break
		}
		i += j
		for k, tag := range htmlTags {
			if !found[k] && len(html)-i >= len(tag) && strings.EqualFold(html[i:i+len(tag)], tag) {
				found[k] = true
				left--
			}
		}
		i++
	}
	for k, tag := range htmlTags {
		if found[k] {
			c.add("html:", tag[1:])
		}
	}
}
