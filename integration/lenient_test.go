//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"
)

// corpusMessage reads a message of the malformed-mail corpus
// (testdata/malformed at the module root) addressed to rcpt.
func corpusMessage(t *testing.T, name, rcpt string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/malformed/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.Replace(string(b), "To: a@example.com", "To: <"+rcpt+">", 1))
}

// TestLenientCommentInHeaderName: with the global rule `block-filetype
// exe`, a message whose header reads `Content-Type(hidden): multipart/mixed`
// (a comment in the field name, which lenient clients and ClamAV read as
// Content-Type) has its renamed executable caught on real Postfix.
func TestLenientCommentInHeaderName(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "quarantine.test", "--content-action", "quarantine")
	if _, err := e.Mailtower.CLI("rule", "add", "global", "--block-filetype", "exe"); err != nil {
		t.Fatal(err)
	}
	rcpt := "hana@quarantine.test"
	e.sendOK(t, "sender@example.net", []string{rcpt}, corpusMessage(t, "comment-in-header-name.eml", rcpt))
	e.settle(t)
	if got := e.deliveredTo(rcpt); len(got) != 0 {
		t.Fatalf("executable behind Content-Type(hidden) delivered to %s", rcpt)
	}
	items := e.quarantined(t, "content", rcpt)
	if len(items) != 1 || !strings.Contains(items[0].Reason, "block-filetype") || !strings.Contains(items[0].Reason, "report.pdf") {
		t.Fatalf("content quarantine %+v, want one entry naming the block-filetype rule and report.pdf", items)
	}
}

// TestLenientCosmeticDefectsDelivered: on real Postfix, a well-formed
// multipart that declares Content-Transfer-Encoding quoted-printable, and
// an Office 365 message with a header continuation line without leading
// white space (forwarded as an attachment, and on its own), are delivered
// clean to a quarantining domain. Where mailtower meets the defect, it is
// listed as a non-scoring note (MIME_NOTE) in X-Mailtower-Rules. On its
// own, the Office 365 message never shows mailtower the defect: Postfix
// ends the header at the line without a colon (the rest, Content-Type
// included, becomes body), so only delivery is checked there.
func TestLenientCosmeticDefectsDelivered(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "quarantine.test", "--content-action", "quarantine")
	cases := []struct {
		file, rcpt string
		note       bool
	}{
		{"qp-multipart.eml", "ivan@quarantine.test", true},
		{"o365-forwarded.eml", "jana@quarantine.test", true},
		{"o365-continuation.eml", "karl@quarantine.test", false},
	}
	for _, c := range cases {
		e.sendOK(t, "sender@example.net", []string{c.rcpt}, corpusMessage(t, c.file, c.rcpt))
	}
	e.settle(t)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			if items := e.quarantined(t, "", c.rcpt); len(items) != 0 {
				t.Fatalf("quarantined: %+v", items)
			}
			got := e.deliveredTo(c.rcpt)
			if len(got) != 1 {
				t.Fatalf("%d copies delivered to %s, want 1", len(got), c.rcpt)
			}
			if v := got[0].Header("X-Mailtower-Verdict"); len(v) != 1 || strings.TrimSpace(v[0]) != "clean" {
				t.Errorf("X-Mailtower-Verdict %q, want clean", v)
			}
			if r := got[0].Header("X-Mailtower-Rules"); c.note && (len(r) != 1 || !strings.Contains(r[0], "MIME_NOTE")) {
				t.Errorf("X-Mailtower-Rules %q, want the MIME_NOTE note", r)
			}
		})
	}
}
