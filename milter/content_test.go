package milter

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/internal/testmail"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/rules"
	"github.com/mailtower/mailtower/settings"
)

// withContentFilter adds the real content filter (scan/rules) to the
// fixture's engines, and a domain cf-tag.test whose content action is tag.
func withContentFilter(t *testing.T, f *fixture, rs ...settings.Rule) {
	t.Helper()
	ctx := context.Background()
	tag := settings.ActionTag
	if err := f.settings.AddDomain(ctx, settings.Domain{Name: "cf-tag.test", Relay: "127.0.0.1:2525",
		Overrides: settings.Overrides{ContentAction: &tag}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if _, err := f.settings.AddRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rt := *f.filter.rt.Load()
	rt.Engines = append(append([]scan.Engine(nil), rt.Engines...),
		scan.Engine{Scanner: rules.New(f.settings, f.settings.Generation, rules.DefaultLimits)})
	f.filter.Reload(&rt)
}

// pe is a Windows executable.
var pe = testmail.PE(false)

// withAttachment returns a header and body carrying one base64 attachment.
func withAttachment(subject, name, ctype string, data []byte) (string, string) {
	header := "From: a@example.org\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n"
	body := "--b\r\nContent-Type: text/plain\r\n\r\nplease see the attachment\r\n--b\r\nContent-Type: " + ctype +
		"; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(data) + "\r\n--b--\r\n"
	return header, body
}

// TestDisguisedExecutableThroughMilter: the content filter in the milter's
// engine list catches an executable renamed .pdf, bare and inside a zip,
// and each recipient gets its own content action.
func TestDisguisedExecutableThroughMilter(t *testing.T) {
	exeRule := settings.Rule{Scope: settings.Scope{Kind: settings.ScopeGlobal}, Kind: settings.BlockFiletype, Value: "exe"}
	tests := []struct {
		name, file, ctype string
		data              []byte
	}{
		{"bare", "invoice.pdf", "application/pdf", pe},
		{"zipped", "invoice.zip", "application/zip", testmail.Zip("docs/invoice.pdf", pe)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			withContentFilter(t, f, exeRule)
			header, body := withAttachment("your invoice", tc.file, tc.ctype, tc.data)
			trx := newTrx(header, body, "a@q.test", "b@cf-tag.test")
			d, err := f.filter.Decide(context.Background(), trx)
			if err != nil || d != mailfilter.Accept {
				t.Fatalf("decision %v %v, want accept for the tag recipient", d, err)
			}
			if m := mods(trx); !strings.Contains(m, `DelRcptTo "a@q.test"`) || strings.Contains(m, `DelRcptTo "b@cf-tag.test"`) {
				t.Errorf("want a@q.test removed (quarantined) and b@cf-tag.test kept:\n%s", m)
			}
			if subj, _ := trx.Headers().Subject(); strings.TrimSpace(subj) != "*** CF *** your invoice" { // milter values keep the leading space
				t.Errorf("subject %q, want the content tag", subj)
			}
			items, err := f.q.List(context.Background(), quarantine.Filter{})
			if err != nil || len(items) != 1 {
				t.Fatalf("quarantine %+v %v, want one item", items, err)
			}
			if it := items[0]; it.Category != scan.Content || it.Recipient != "a@q.test" ||
				!strings.Contains(it.Reason, "block-filetype") || !strings.Contains(it.Reason, "invoice.pdf") {
				t.Errorf("quarantined %+v, want content for a@q.test naming the rule and file", it)
			}
		})
	}
}

// TestUserContentRuleOnlyForThatUser: a user's block-content rule
// quarantines that user's copy only.
func TestUserContentRuleOnlyForThatUser(t *testing.T) {
	f := newFixture(t)
	withContentFilter(t, f, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeUser, Name: "a@q.test"},
		Kind: settings.BlockContent, Value: `(?i)quarterly\s+bonus`})
	trx := newTrx("From: a@example.org\r\nSubject: =?utf-8?q?Quarterly_bonus?=\r\n", "hello\r\n", "a@q.test", "c@q.test")
	if d, _ := f.filter.Decide(context.Background(), trx); d != mailfilter.Accept {
		t.Fatalf("decision %v, want accept for c@q.test", d)
	}
	if m := mods(trx); !strings.Contains(m, `DelRcptTo "a@q.test"`) || strings.Contains(m, `DelRcptTo "c@q.test"`) {
		t.Errorf("want only a@q.test removed:\n%s", m)
	}
}

// TestMalformedMailQuarantined: hostile structure is a content verdict
// even without rules.
func TestMalformedMailQuarantined(t *testing.T) {
	f := newFixture(t)
	withContentFilter(t, f)
	trx := newTrx("From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=a; boundary=b\r\n",
		"--a\r\n\r\nharmless\r\n--a--\r\n--b\r\n\r\nother\r\n--b--\r\n", "a@q.test")
	if d, _ := f.filter.Decide(context.Background(), trx); d != mailfilter.Discard {
		t.Fatalf("decision %v, want discard (quarantined)", d)
	}
	items, _ := f.q.List(context.Background(), quarantine.Filter{})
	if len(items) != 1 || items[0].Category != scan.Content || !strings.Contains(items[0].Reason, "malformed") {
		t.Fatalf("quarantine %+v, want one malformed content item", items)
	}
}
