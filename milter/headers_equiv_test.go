package milter

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// The milter changes the header of the copy Postfix delivers with
// applyToTrx (milter actions) and of a re-injected copy with rewrite (on
// bytes): both must produce the same header for the same edit (issue 12).
func TestRewriteMatchesApplyToTrx(t *testing.T) {
	add := []field{{"X-Mailtower-Verdict", "spam"}, {"X-Mailtower-Score", "7.5"}}
	cases := []struct {
		name, header string
		ed           headerEdit
	}{
		{"plain", "From: a@example.org\r\nSubject: hi\r\n", headerEdit{add: add}},
		{"tag", "From: a@example.org\r\nSubject: buy now\r\n", headerEdit{tag: "[SPAM]", add: add}},
		{"already tagged", "Subject: [SPAM] buy\r\nFrom: a@example.org\r\n", headerEdit{tag: "[SPAM]", add: add}},
		{"no subject", "From: a@example.org\r\n", headerEdit{tag: "[SPAM]", add: add}},
		{"forged own fields", "From: a@example.org\r\nX-Mailtower-Verdict: clean\r\nSubject: x\r\nx-mailtower-score: 0\r\n", headerEdit{add: add}},
		{"folded subject", "Subject: a long\r\n subject\r\nFrom: a@example.org\r\n", headerEdit{tag: "[SPAM]", add: add}},
		{"no edit", "From: a@example.org\r\nSubject: hi\r\n", headerEdit{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := compareEdits(t, c.header, c.ed)
			if c.ed.tag != "" && !strings.Contains(got, "Subject: "+c.ed.tag) {
				t.Errorf("subject not tagged:\n%q", got)
			}
			if strings.Contains(strings.ToLower(got), "x-mailtower-verdict: clean") {
				t.Errorf("forged field kept:\n%q", got)
			}
		})
	}
}

// compareEdits applies ed both ways to a message with header h and
// returns the header, failing t when the two differ.
func compareEdits(t testing.TB, h string, ed headerEdit) string {
	body := "body line\r\n"
	trx := newTrx(h, body, "bob@q.test")
	applyToTrx(trx.Headers(), ed)
	viaTrx, err := io.ReadAll(trx.Headers().Reader())
	if err != nil {
		t.Fatal(err)
	}
	r, err := rewrite(strings.NewReader(h+"\r\n"+body), ed)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok || string(rest) != body {
		t.Fatalf("rewrite changed the body or lost the header end: %q", raw)
	}
	if got, want := string(head)+"\r\n\r\n", string(viaTrx); got != want {
		t.Errorf("rewrite:\n%q\napplyToTrx:\n%q", got, want)
	}
	return string(viaTrx)
}

// FuzzRewriteMatchesApplyToTrx checks the two header edits agree on any
// well-formed header (reinject.FuzzRewrite covers hostile bytes alone).
func FuzzRewriteMatchesApplyToTrx(f *testing.F) {
	f.Add("Subject", "hello", "[SPAM]")
	f.Add("X-Mailtower-Score", "9", "")
	f.Add("subject", "[SPAM] again", "[SPAM]")
	f.Fuzz(func(t *testing.T, name, value, tag string) {
		// Tags are constants (SpamTag, ContentTag): never blank, one line.
		if !wellFormed(name, value) || strings.ContainsAny(tag, "\r\n") || (tag != "" && strings.TrimSpace(tag) == "") {
			t.Skip()
		}
		h := "From: a@example.org\r\n" + name + ": " + value + "\r\n"
		compareEdits(t, h, headerEdit{tag: tag, add: []field{{"X-Mailtower-Verdict", "spam"}}})
	})
}

// wellFormed limits the fuzzer to one unfolded RFC 5322 field.
func wellFormed(name, value string) bool {
	if name == "" || value == "" || strings.TrimSpace(value) != value {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || r == ':' {
			return false
		}
	}
	for _, r := range value {
		if r < ' ' || r > '~' {
			return false
		}
	}
	return true
}
