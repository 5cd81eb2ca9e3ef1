package bayes

import (
	"net/mail"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/internal/textshape"
	"github.com/mailtower/mailtower/mimewalk"
)

// maxReceived bounds how many Received headers are tokenized (the newest
// ones, nearest to us, are the least forgeable).
const maxReceived = 8

// addHeaders adds header tokens, each prefixed with its header's name.
func (t *Tokenizer) addHeaders(c *collector, m *mimewalk.Message) {
	nrecv, nrcpt := 0, 0
	for _, f := range m.Header.Fields {
		key := strings.ToLower(f.Name)
		// Upstream spam verdicts are attacker-controlled and our own
		// headers would teach the filter its own past answers.
		if strings.HasPrefix(key, "x-spam") || strings.HasPrefix(key, "x-mailtower") {
			continue
		}
		c.add("header:", key)
		v := f.Value
		switch key {
		case "subject":
			s := mimewalk.DecodeWords(v)
			c.addWords("subject:", s, 998)
			addSubjectShape(c, s)
		case "from", "reply-to", "sender", "return-path", "errors-to":
			addAddresses(c, key+":", mimewalk.DecodeWords(v), true)
		case "to", "cc":
			nrcpt += addAddresses(c, key+":", mimewalk.DecodeWords(v), false)
		case "received":
			if nrecv < maxReceived {
				addReceived(c, v)
			}
			nrecv++
		case "x-mailer", "user-agent", "x-mimeole", "x-priority", "precedence", "importance", "x-msmail-priority":
			c.add(key+":", shortValue(v, 40))
		case "message-id":
			addMessageID(c, v)
		case "mime-version":
			c.add(key+":", shortValue(v, 10))
		case "content-type":
			mt, _, _ := strings.Cut(v, ";")
			c.add("content-type:", shortValue(mt, 40))
		}
	}
	c.add("received-count:", strconv.Itoa(min(nrecv, 10)))
	c.add("rcpt-count:", strconv.Itoa(min(nrcpt, 5)))
}

// shortValue is a header value lower-cased, white space collapsed and cut.
func shortValue(v string, n int) string {
	v = strings.Join(strings.Fields(strings.ToLower(v)), " ")
	if len(v) > n {
		v = v[:n]
	}
	return v
}

// addSubjectShape adds tokens for how a subject looks, not what it says.
func addSubjectShape(c *collector, s string) {
	sh := textshape.Of(s)
	if sh.Shouting(10, 80) {
		c.add("subject:", "shape:caps")
	}
	if sh.Bang > 0 {
		c.add("subject:", "shape:bang"+strconv.Itoa(min(sh.Bang, 3)))
	}
	if strings.TrimSpace(s) == "" {
		c.add("subject:", "shape:empty")
	}
	if strings.Contains(s, "$") {
		c.add("subject:", "shape:dollar")
	}
}

// addAddresses adds an address header's domains (and, with full, the
// addresses and display-name words); it returns how many addresses it
// held.
func addAddresses(c *collector, prefix, v string, full bool) int {
	list, err := mail.ParseAddressList(v)
	if err != nil {
		c.add(prefix, "invalid")
		c.addWords(prefix+"word:", v, 256)
		return strings.Count(v, "@")
	}
	for i, a := range list {
		if i >= 10 {
			break
		}
		addr := strings.ToLower(a.Address)
		at := strings.LastIndexByte(addr, '@')
		c.add(prefix+"domain:", addr[at+1:])
		if !full {
			continue
		}
		c.add(prefix+"addr:", addr)
		if a.Name == "" {
			c.add(prefix, "no-name")
		} else {
			c.addWords(prefix+"name:", a.Name, 256)
		}
		if local := addr[:max(at, 0)]; strings.IndexFunc(local, isDigit) >= 0 {
			c.add(prefix, "local-digits")
		}
	}
	return len(list)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// receivedWords are the Received-header words worth a token: the software
// and protocol names that tell relays apart.
var receivedWords = map[string]bool{"esmtp": true, "smtp": true, "esmtpa": true, "esmtps": true, "lmtp": true,
	"smtpsvc": true, "postfix": true, "sendmail": true, "qmail": true, "exim": true, "microsoft": true,
	"unknown": true, "localhost": true, "http": true, "webmail": true, "helo": true, "may": true, "forged": true}

// addReceived adds a Received header's host domains, IP prefixes
// (/16 and /24, as SpamBayes does) and relay software words.
func addReceived(c *collector, v string) {
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		v = v[:i] // the date says nothing
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '(' || r == ')' || r == '[' || r == ']' || r == ';' || r == '<' || r == '>' || r == '\r' || r == '\n'
	}) {
		w = strings.Trim(w, ".,:=\"'")
		if a, err := netip.ParseAddr(w); err == nil && a.Is4() {
			b := a.As4()
			c.add("received:ip:", strconv.Itoa(int(b[0]))+"."+strconv.Itoa(int(b[1])))
			c.add("received:ip:", strconv.Itoa(int(b[0]))+"."+strconv.Itoa(int(b[1]))+"."+strconv.Itoa(int(b[2])))
			continue
		}
		if strings.Count(w, ".") >= 1 && strings.IndexFunc(w, isLetter) >= 0 && !strings.ContainsRune(w, '@') {
			labels := strings.Split(w, ".")
			if len(labels) >= 2 {
				c.add("received:", strings.Join(labels[len(labels)-2:], "."))
			}
			continue
		}
		if receivedWords[w] {
			c.add("received:", w)
		}
	}
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' }

// addMessageID adds the Message-ID's domain and the shape of its local
// part (bulk mailers' ids look alike).
func addMessageID(c *collector, v string) {
	v = strings.Trim(strings.TrimSpace(v), "<>")
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		c.add("message-id:", "no-at")
		return
	}
	dom := strings.ToLower(v[at+1:])
	if labels := strings.Split(dom, "."); len(labels) >= 2 {
		dom = strings.Join(labels[len(labels)-2:], ".")
	}
	c.add("message-id:domain:", dom)
	c.add("message-id:shape:", idShape(v[:at]))
}

// idShape reduces a string to its character classes, runs collapsed:
// "20020822.ABC123" -> "9.A9".
func idShape(s string) string {
	var b strings.Builder
	var last byte
	for i := 0; i < len(s) && b.Len() < 16; i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			ch = '9'
		case ch >= 'a' && ch <= 'z':
			ch = 'a'
		case ch >= 'A' && ch <= 'Z':
			ch = 'A'
		}
		if ch != last {
			b.WriteByte(ch)
			last = ch
		}
	}
	return b.String()
}
