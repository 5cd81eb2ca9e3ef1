//go:build integration

package integration

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/testmail"
)

const contentTag = "*** CF *** "

// withFile builds a multipart message with a text part and one attachment.
func withFile(subject, to, name, ctype string, data []byte) []byte {
	return message([]string{"From: Billing <billing@sender.example>", "To: <" + to + ">", "Subject: " + subject,
		`Content-Type: multipart/mixed; boundary="=_part"`},
		"--=_part\nContent-Type: text/plain; charset=utf-8\n\nPlease find the invoice attached.\n"+
			"--=_part\nContent-Type: "+ctype+"; name=\""+name+"\"\nContent-Disposition: attachment; filename=\""+name+"\"\n"+
			"Content-Transfer-Encoding: base64\n\n"+testmail.Base64Lines(data, "\n")+"--=_part--\n")
}

// TestContentFilterDisguisedExecutable: with the global rule
// `block-filetype exe`, an executable renamed invoice.pdf — bare, and
// inside a zip — is caught by the content filter on real Postfix: the
// quarantine recipient's copy is quarantined (category content, the rule
// named in the reason), the tag recipient of the same message gets it
// with "*** CF *** " before the subject, and a real PDF under the same
// name reaches both untouched.
func TestContentFilterDisguisedExecutable(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test", "--content-action", "quarantine")
	e.addDomain(t, "tag.test", "--content-action", "tag")
	if _, err := e.Mailtower.CLI("rule", "add", "global", "--block-filetype", "exe"); err != nil {
		t.Fatal(err)
	}
	pe := testmail.PE(false)
	cases := []struct {
		name, file, ctype string
		data              []byte
		caught            bool
	}{
		{"bare", "invoice.pdf", "application/pdf", pe, true},
		{"zipped", "invoice.zip", "application/zip", testmail.Zip("scans/invoice.pdf", pe), true},
		{"real pdf passes", "invoice.pdf", "application/pdf", []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, tg := fmt.Sprintf("carol%d@quarantine.test", i), fmt.Sprintf("dave%d@tag.test", i)
			subject := "Invoice " + c.name
			msg := withFile(subject, q, c.file, c.ctype, c.data)
			e.sendOK(t, "billing@sender.example", []string{q, tg}, msg)
			e.settle(t)

			items := e.quarantined(t, "content", q)
			tagged := e.deliveredTo(tg)
			if len(tagged) != 1 {
				t.Fatalf("%d messages delivered to %s, want 1", len(tagged), tg)
			}
			subj := tagged[0].Header("Subject")
			if len(subj) != 1 {
				t.Fatalf("Subject headers %q, want one", subj)
			}
			decoded, err := decodeHeader(subj[0])
			if err != nil {
				t.Fatalf("Subject %q: %v", subj[0], err)
			}
			decoded = strings.TrimSpace(decoded)
			// The attachment arrives intact either way.
			firstLine := base64.StdEncoding.EncodeToString(c.data)[:60]
			if !bytes.Contains(tagged[0].Body(), []byte(firstLine)) {
				t.Errorf("attachment not intact in the copy for %s", tg)
			}
			if !c.caught {
				if got := e.deliveredTo(q); len(got) != 1 || len(items) != 0 || decoded != subject {
					t.Fatalf("real PDF: delivered to %s %d times, %d quarantined, subject %q; want delivered untouched", q, len(got), len(items), decoded)
				}
				return
			}
			if got := e.deliveredTo(q); len(got) != 0 {
				t.Fatalf("disguised executable delivered to the quarantine recipient %s", q)
			}
			if len(items) != 1 {
				t.Fatalf("%d content quarantine entries for %s, want 1", len(items), q)
			}
			checkQuarantineItem(t, items[0], "content", "billing@sender.example", subject)
			if !strings.Contains(items[0].Reason, "block-filetype") || !strings.Contains(items[0].Reason, "invoice.pdf") {
				t.Errorf("reason %q does not name the rule and the file", items[0].Reason)
			}
			if decoded != contentTag+subject {
				t.Errorf("tag recipient's subject %q, want %q", decoded, contentTag+subject)
			}
			if q := e.quarantined(t, "", tg); len(q) != 0 {
				t.Errorf("tag recipient quarantined: %+v", q)
			}
		})
	}
}

// TestContentFilterPatternsAndMalformed: on real Postfix, a domain's
// block-content rule catches a phrase hidden in HTML markup (quarantined
// for that domain, delivered to another domain's recipient of the same
// message), and hostile MIME (two boundary parameters, the second hiding
// an executable) is quarantined as malformed without any rule.
func TestContentFilterPatternsAndMalformed(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	if _, err := e.Mailtower.CLI("rule", "add", "quarantine.test", "--block-content", `(?i)wire\s+transfer\s+today`); err != nil {
		t.Fatal(err)
	}

	html := message([]string{"From: <ceo@sender.example>", "To: <erin@quarantine.test>", "Subject: request",
		"Content-Type: text/html; charset=utf-8"},
		"<p>Please make the wi<b></b>re&nbsp;trans<!-- x -->fer today.</p>\n")
	e.sendOK(t, "ceo@sender.example", []string{"erin@quarantine.test", "frank@clean.test"}, html)

	hostile := message([]string{"From: <x@sender.example>", "To: <gina@quarantine.test>", "Subject: two readings",
		"Content-Type: multipart/mixed; boundary=\"one\"; boundary=\"two\""},
		"--one\n\nharmless\n--one--\n--two\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\n"+
			base64.StdEncoding.EncodeToString(testmail.PE(false))+"\n--two--\n")
	e.sendOK(t, "x@sender.example", []string{"gina@quarantine.test"}, hostile)
	e.settle(t)

	if got := e.deliveredTo("erin@quarantine.test"); len(got) != 0 {
		t.Errorf("the block-content rule of quarantine.test did not stop the copy for erin")
	}
	if items := e.quarantined(t, "content", "erin@quarantine.test"); len(items) != 1 || !strings.Contains(items[0].Reason, "block-content") {
		t.Errorf("erin's content quarantine %+v, want one block-content entry", items)
	}
	if got := e.deliveredTo("frank@clean.test"); len(got) != 1 {
		t.Errorf("%d copies for frank@clean.test (no such rule there), want 1", len(got))
	}
	if got := e.deliveredTo("gina@quarantine.test"); len(got) != 0 {
		t.Errorf("malformed message delivered")
	}
	items := e.quarantined(t, "content", "gina@quarantine.test")
	if len(items) != 1 || !strings.Contains(items[0].Reason, "malformed") {
		t.Fatalf("gina's content quarantine %+v, want one malformed entry", items)
	}
}
