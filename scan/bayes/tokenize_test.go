package bayes

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func tokenStrings(t *testing.T, raw string) []string {
	t.Helper()
	f, err := NewTokenizer(DefaultLimits).TokenStrings(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return f.Strings
}

func TestTokenize(t *testing.T) {
	cases := []struct {
		name    string
		raw     string
		want    []string
		notWant []string
	}{
		{"headers get name prefixes",
			"From: \"Cheap Meds\" <Sales123@Pharma.example>\r\nTo: bob@corp.example, al@corp.example\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe_FREE_offer?=\r\n" +
				"X-Mailer: The Bat! (v1.52f)\r\nMessage-ID: <20020822.ABC@mx.pharma.example>\r\n\r\nhi\r\n",
			[]string{"from:addr:sales123@pharma.example", "from:domain:pharma.example", "from:name:cheap", "from:local-digits",
				"to:domain:corp.example", "rcpt-count:2", "subject:grüße", "subject:free", "subject:offer",
				"x-mailer:the bat! (v1.52f)", "message-id:domain:pharma.example", "message-id:shape:9.A", "header:x-mailer"},
			[]string{"subject:=?utf-8?q?gr=c3=bc=c3=9fe_free_offer?="}},
		{"received hosts and ip prefixes, date dropped",
			"Received: from dd_it7 ([210.97.77.167]) by webnote.net (8.9.3/8.9.3) with ESMTP id NAA04623; Thu, 22 Aug 2002 13:09:41 +0100\n\nx\n",
			[]string{"received:ip:210.97", "received:ip:210.97.77", "received:webnote.net", "received:esmtp", "received-count:1"},
			[]string{"received:thu", "received:2002"}},
		{"body words lower-cased, punctuation trimmed, long words skipped, short dropped",
			"Subject: x\n\nClick HERE, now!!! to win $100 supercalifragilistic at ok\n",
			[]string{"click", "here", "now", "win", "$100", "skip:s 20"},
			[]string{"at", "ok", "to", "HERE"}},
		{"urls and hosts",
			"Subject: x\n\nvisit http://Promo.Deals.Example.com:8080/buy/pills?id=5 or www.other.example/x\n",
			[]string{"proto:http", "url-host:promo.deals.example.com", "url-domain:example.com", "url-domain:deals.example.com",
				"url:buy", "url:pills", "url-host:www.other.example", "url-domain:other.example"},
			[]string{"visit http"}},
		{"html stripped, hrefs tokenized, tags noted",
			"Content-Type: text/html\n\n<html><body><table><tr><td><a href=\"http://evil.example/login\">Your <b>Bank</b></a></td></tr></table>" +
				"<font color=red>Act</font> now</body></html>\n",
			[]string{"ct:text/html", "html:table", "html:font", "url-host:evil.example", "url:login", "your", "bank", "act", "now", "struct:no-text-plain"},
			[]string{"<b>bank</b>", "href"}},
		{"attachments: name, extension, type; no body words",
			"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\n" +
				"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"Invoice_2024.pdf.exe\"\n" +
				"Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n--b--\n",
			[]string{"att-type:application/octet-stream", "att-ext:exe", "att-name:invoice", "att-name:2024", "cte:base64",
				"see", "attached", "ct:multipart/mixed"},
			[]string{"att-name:invoice_2024.pdf.exe", "struct:no-text-plain"}},
		{"upstream spam headers are not learned",
			"X-Spam-Status: No\nX-Mailtower-Rules: BAYES_00\nSubject: x\n\nx\n",
			[]string{"header:subject"},
			[]string{"header:x-spam-status", "header:x-mailtower-rules"}},
		{"malformed mime is a token, not a failure",
			"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nunterminated words here\n",
			[]string{"unterminated", "words"},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tokenStrings(t, c.raw)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing token %q in %q", w, got)
				}
			}
			for _, w := range c.notWant {
				if slices.Contains(got, w) {
					t.Errorf("unexpected token %q", w)
				}
			}
		})
	}
}

func TestTokenizeBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Subject: many words\n\n")
	for i := 0; i < 100000; i++ {
		b.WriteString("w")
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), 3+i%9))
		b.WriteString(string(rune('a' + (i/26)%26)))
		b.WriteString(" ")
	}
	tok := NewTokenizer(Limits{MaxTokens: 500, MaxText: 1 << 20})
	f, err := tok.Tokenize(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tokens) > 500 {
		t.Errorf("%d tokens, want at most 500", len(f.Tokens))
	}
}

func TestDigestNormalisation(t *testing.T) {
	base := "From: a@one.example\r\nTo: x@y.example\r\nSubject: Hello  there\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
		"Message-ID: <1@one.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSame body,\r\nsame words.\r\n"
	same := []struct{ name, raw string }{
		{"other sender, date, id, trace", "Received: from relay by mx; Tue, 2 Jan 2024 00:00:00 +0000\nFrom: b@two.example\nTo: z@w.example\n" +
			"Subject: Hello there\nDate: Tue, 2 Jan 2024 00:00:00 +0000\nMessage-ID: <2@two.example>\nContent-Type: text/plain; charset=utf-8\n\nSame body,\nsame words.\n"},
		{"quoted-printable and re-wrapped", "Subject: =?utf-8?q?Hello_there?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
			"Same body, same =\nwords.\n"},
		{"tagged subject", "Subject: *** SPAM *** Hello there\nContent-Type: text/plain; charset=utf-8\n\nSame body, same words.\n"},
	}
	other := []struct{ name, raw string }{
		{"other subject", "Subject: Hello here\n\nSame body, same words.\n"},
		{"other body", "Subject: Hello there\n\nSame body, other words.\n"},
	}
	tok := NewTokenizer(DefaultLimits)
	dig := func(raw string) Digest {
		f, err := tok.Tokenize(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return f.Digest
	}
	want := dig(base)
	for _, c := range same {
		if got := dig(c.raw); got != want {
			t.Errorf("%s: digest differs, want the same", c.name)
		}
	}
	for _, c := range other {
		if got := dig(c.raw); got == want {
			t.Errorf("%s: digest is the same, want different", c.name)
		}
	}
}

// indexSpace and isSpace are unicode.IsSpace's, faster on ASCII.
func TestIndexSpace(t *testing.T) {
	for _, s := range []string{"", "abc", "a b", "a\tb", "é\u00a0x", "x\u2003y", "\x85", "ab\x0bc", "a\xffb c", "日本 語", "\u0085z"} {
		if got, want := indexSpace(s), strings.IndexFunc(s, unicode.IsSpace); got != want {
			t.Errorf("indexSpace(%q) = %d, want %d", s, got, want)
		}
	}
	for r := rune(0); r < 0x3100; r++ {
		if isSpace(r) != unicode.IsSpace(r) {
			t.Errorf("isSpace(%U) = %v", r, isSpace(r))
		}
	}
}

// writeCollapsed's output (digests of learned mail) is what it was
// before its ASCII fast path: runs of white space as one space, invalid
// bytes as U+FFFD.
func TestWriteCollapsedUnchanged(t *testing.T) {
	old := func(s string) string {
		var b []byte
		space := false
		for _, r := range strings.TrimSpace(s) {
			if unicode.IsSpace(r) {
				space = true
				continue
			}
			if space {
				b = append(b, ' ')
				space = false
			}
			b = utf8.AppendRune(b, r)
		}
		return string(b)
	}
	for _, s := range []string{"", "  a  b\\t\\n c ", "x\u00a0\u00a0y", "a\xff\xfeb", "é  日本\u2003語", strings.Repeat("ab  ", 3000), "\u0085a\u0085"} {
		var sb strings.Builder
		writeCollapsed(&sb, s)
		if got, want := sb.String(), old(s); got != want {
			t.Errorf("writeCollapsed(%.40q) = %.40q, want %.40q", s, got, want)
		}
	}
}
