package mimewalk

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// crlf turns the LF line ends of a test literal into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// summary renders the parts as "path type name" lines for comparison.
func summary(m *Message) string {
	var b strings.Builder
	for _, p := range m.Parts {
		fmt.Fprintf(&b, "%s %s", p.Path, p.MediaType)
		if p.Filename != "" {
			fmt.Fprintf(&b, " %q", p.Filename)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func hasProblem(m *Message, reason string, malformed bool) bool {
	for _, p := range m.Problems {
		if strings.Contains(p.Reason, reason) && p.Malformed == malformed {
			return true
		}
	}
	return false
}

func TestWalk(t *testing.T) {
	exe := base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 this is a PE"))
	tests := []struct {
		name      string
		raw       string
		parts     string   // expected summary()
		texts     []string // substrings expected in some part's Text
		bodies    []string // substrings expected in some part's Body
		malformed []string // expected malformed problem reasons
		notes     []string // expected non-malformed problem reasons
		subject   string
	}{
		{
			name:    "plain text, encoded subject",
			raw:     crlf("From: a@example.com\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\nhello\n"),
			parts:   " text/plain\n",
			texts:   []string{"hello"},
			subject: "Grüße",
		},
		{
			name: "multipart with base64 attachment",
			raw: crlf("Subject: x\nContent-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nK=E4se=\nbrot\n--b1\nContent-Type: application/pdf; name=\"doc.pdf\"\nContent-Transfer-Encoding: base64\n\n" +
				exe + "\n--b1--\nepilogue\n"),
			parts:  " multipart/mixed\n1 text/plain\n2 application/pdf \"doc.pdf\"\n",
			texts:  []string{"Käsebrot"},
			bodies: []string{"MZ\x90\x00"},
		},
		{
			name:      "missing end boundary",
			raw:       "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nfirst\n--x\n\nsecond secret\n",
			parts:     " multipart/mixed\n1 text/plain\n2 text/plain\n",
			texts:     []string{"second secret"},
			malformed: []string{"missing end boundary"},
		},
		{
			name:      "duplicate boundary parameters: both readings walked",
			raw:       "Content-Type: multipart/mixed; boundary=aa; boundary=bb\n\n--aa\n\nin aa\n--aa--\n--bb\n\nin bb\n--bb--\n",
			texts:     []string{"in aa", "in bb"},
			malformed: []string{"conflicting boundary parameters"},
		},
		{
			name:      "two Content-Type headers",
			raw:       "Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: application/octet-stream; name=a.exe\n\nMZ\n--zz--\n",
			bodies:    []string{"MZ"},
			malformed: []string{"conflicting Content-Type headers"},
		},
		{
			name:      "boundary not found",
			raw:       "Content-Type: multipart/mixed; boundary=nope\n\nsome text that clients show\n",
			texts:     []string{"clients show"},
			malformed: []string{"boundary not found"},
		},
		{
			name:    "header line without colon is skipped (note)",
			raw:     "Subject: hi\nthis is no header\nFrom: x@y\n\nbody\n",
			texts:   []string{"body"},
			notes:   []string{"header continuation line without leading white space"},
			subject: "hi",
		},
		{
			name:      "unknown transfer encoding",
			raw:       "Content-Type: application/octet-stream\nContent-Transfer-Encoding: x-foo\n\nabc\n",
			bodies:    []string{"abc"},
			malformed: []string{"unknown transfer encoding x-foo"},
		},
		{
			name:  "unknown charset is a note",
			raw:   "Content-Type: text/plain; charset=x-klingon\n\nqapla\n",
			texts: []string{"qapla"},
			notes: []string{"unknown charset x-klingon"},
		},
		{
			name:   "broken base64 in text is decoded around the garbage",
			raw:    "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVs!!bG8g\nd29y bGQ=\n",
			texts:  []string{"hello world"},
			notes:  []string{"broken base64"},
			bodies: []string{"hello world"},
		},
		{
			name:      "broken base64 in an attachment is malformed",
			raw:       "Content-Type: application/zip; name=a.zip\nContent-Transfer-Encoding: base64\n\nUEsD***BAo=AAAA\n",
			malformed: []string{"broken base64"},
		},
		{
			name:   "padding inside an attachment's base64 is a note",
			raw:    "Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\naGk=\naGk\n",
			bodies: []string{"hihi"},
			notes:  []string{"broken base64 (data after padding)"},
		},
		{
			name:  "unknown transfer encoding of a text part is a note",
			raw:   "Content-Type: text/plain\nContent-Transfer-Encoding: 8-bit\n\nplain text\n",
			texts: []string{"plain text"},
			notes: []string{"unknown transfer encoding 8-bit"},
		},
		{
			name:  "broken quoted-printable",
			raw:   "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=ZZb=3Dc\n",
			texts: []string{"a=ZZb=c"},
			notes: []string{"broken quoted-printable"},
		},
		{
			name:  "LF-only and CR-only line ends",
			raw:   "Content-Type: multipart/mixed; boundary=q\r\r--q\rContent-Type: text/plain\r\rcr only\r--q--\r",
			texts: []string{"cr only"},
			parts: " multipart/mixed\n1 text/plain\n",
		},
		{
			name:  "message/rfc822 walked recursively",
			raw:   "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\nSubject: inner subject\nContent-Type: multipart/mixed; boundary=i\n\n--i\nContent-Type: text/html\n\n<b>inner</b> text\n--i--\n--o--\n",
			parts: " multipart/mixed\n1 message/rfc822\n1.1 multipart/mixed\n1.1.1 text/html\n",
			texts: []string{"<b>inner</b> text"},
		},
		{
			name:  "RFC 2231 filename continuation and encoded word name",
			raw:   "Content-Type: multipart/mixed; boundary=f\n\n--f\nContent-Disposition: attachment; filename*0*=utf-8''inv%C3%B6ice; filename*1=\".pdf.exe\"\nContent-Type: application/octet-stream; name=\"=?utf-8?B?cmVhZG1lLmV4ZQ==?=\"\n\nMZ\n--f--\n",
			parts: " multipart/mixed\n1 application/octet-stream \"invöice.pdf.exe\"\n",
		},
		{
			name:      "NUL and 8-bit in header",
			raw:       "Subject: caf\xe9 \x00x\n\nbody\n",
			subject:   "café \x00x",
			malformed: []string{"NUL byte in header"},
			notes:     []string{"8-bit header not in UTF-8"},
		},
		{
			name:      "quoted boundary with trailing text: both readings",
			raw:       "Content-Type: multipart/mixed; boundary=\"a\"b\n\n--\"a\"b\n\nreading two\n--\"a\"b--\n",
			parts:     " multipart/mixed\n1 text/plain\n",
			texts:     []string{"reading two"},
			malformed: []string{"conflicting boundary parameters"},
		},
		{
			name:   "uuencoded file in a text body",
			raw:    "Content-Type: text/plain\n\nrun this:\nbegin 644 update.pdf\nM35J0  ,    $    __\\\n`\nend\nbye\n",
			parts:  " text/plain\nu1 application/octet-stream \"update.pdf\"\n",
			bodies: []string{"MZ\x90\x00"},
			texts:  []string{"bye"},
		},
		{
			name:      "parts after the end boundary",
			raw:       "Content-Type: multipart/mixed; boundary=e\n\n--e\n\none\n--e--\n--e\n\nhidden\n--e--\n",
			texts:     []string{"hidden"},
			malformed: []string{"parts after the end boundary"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Walk(strings.NewReader(tc.raw), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.parts != "" && summary(m) != tc.parts {
				t.Errorf("parts:\n%s\nwant:\n%s", summary(m), tc.parts)
			}
			for _, want := range tc.texts {
				if !anyPart(m, func(p Part) bool { return strings.Contains(p.Text, want) }) {
					t.Errorf("no part text contains %q; parts:\n%s", want, summary(m))
				}
			}
			for _, want := range tc.bodies {
				if !anyPart(m, func(p Part) bool { return bytes.Contains(p.Body, []byte(want)) }) {
					t.Errorf("no part body contains %q", want)
				}
			}
			checkProblems(t, m, tc.malformed, tc.notes)
			if tc.subject != "" && m.Header.Subject() != tc.subject {
				t.Errorf("subject %q, want %q", m.Header.Subject(), tc.subject)
			}
		})
	}
}

func anyPart(m *Message, f func(Part) bool) bool {
	for _, p := range m.Parts {
		if f(p) {
			return true
		}
	}
	return false
}

func TestLimits(t *testing.T) {
	deep := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
		}
		b.WriteString("\nleaf\n")
		return b.String()
	}
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=m\n\n")
		for i := 0; i < n; i++ {
			b.WriteString("--m\n\nx\n")
		}
		b.WriteString("--m--\n")
		return b.String()
	}
	manyHeaders := strings.Repeat("X-H: v\n", 5000) + "\nbody\n"
	tests := []struct {
		name      string
		raw       string
		lim       Limits
		malformed string
		maxParts  int
	}{
		{"depth", deep(50), Limits{MaxDepth: 5}, "depth limit (5) exceeded", 7},
		{"parts", many(100), Limits{MaxParts: 10}, "parts limit (10) exceeded", 10},
		{"header count", manyHeaders, Limits{}, "header limit exceeded", 1},
		{"part bytes", "Content-Type: application/octet-stream\n\n" + strings.Repeat("A", 5000), Limits{MaxPartBytes: 1000}, "decoded size limit exceeded", 1},
		{"text counts toward the total", "Content-Type: text/plain; charset=iso-8859-1\n\n" + strings.Repeat("\xe4", 3000), Limits{MaxTotalBytes: 4000}, "decoded size limit exceeded", 1},
		{"message bytes", "Subject: x\n\n" + strings.Repeat("A", 5000), Limits{MaxMessageBytes: 100}, "message exceeds the parse limit", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Walk(strings.NewReader(tc.raw), tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(m, tc.malformed, true) {
				t.Errorf("want %q, have %+v", tc.malformed, m.Problems)
			}
			if len(m.Parts) > tc.maxParts {
				t.Errorf("%d parts, want at most %d", len(m.Parts), tc.maxParts)
			}
			for _, p := range m.Parts {
				if int64(len(p.Body)) > max(tc.lim.MaxPartBytes, 0) && tc.lim.MaxPartBytes > 0 {
					t.Errorf("part %s body %d bytes over limit", p.Path, len(p.Body))
				}
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Hello&nbsp;<b>W</b>orld</p>", "Hello World"},
		{"<script>var x='<p>';</script>visible<style>p{}</style>", "visible"},
		{"Vi<!-- x -->ag&#8203;ra &amp; co", "Viagra & co"},
		{"a < b and <a href='x>y'>link</a>", "a < b and link"},
		{"<div>one</div><div>two</div>", "one\ntwo"},
		{"<SCRIPT>never closed", ""},
	}
	for _, tc := range tests {
		if got := HTMLText(tc.in); got != tc.want {
			t.Errorf("HTMLText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
