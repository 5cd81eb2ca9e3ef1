package web

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/releasereq"
)

// TestDutchComplete: every text a page translates has a Dutch version:
// the literals the templates pass to T, the titles, errors and
// confirmations the handlers set, the names, help texts and values of the
// policy settings on the forms.
func TestDutchComplete(t *testing.T) {
	want := map[string]bool{}
	tmplT := regexp.MustCompile(`\.T "([^"]+)"`)
	tmplKeep := regexp.MustCompile(`\.T \(print "([^"]+)" \.Name\)`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range tmplT.FindAllSubmatch(b, -1) {
			want[string(m[1])] = true
		}
		for _, m := range tmplKeep.FindAllSubmatch(b, -1) {
			for _, c := range retentionCategories {
				want[string(m[1])+string(c)] = true
			}
		}
	}
	goText := regexp.MustCompile(`(?:Title: +|Error: +|retry\(http\.\w+, |plainError\(w, r, )"([^"]+)"`)
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		b, _ := os.ReadFile(f)
		for _, m := range goText.FindAllSubmatch(b, -1) {
			want[string(m[1])] = true
		}
	}
	for _, v := range []string{"spam", "virus", "content", "quarantined", "releasing", "released", "deleted"} {
		want[v] = true // categories and states, translated in the message page
	}
	// The history's verdicts, actions and delivery statuses.
	for _, v := range []string{"clean", "refused", "pass", "tag", "quarantine", "delete", "reject", "greylisted", "unknown-user",
		"block-sender", "block-sender-domain", "block-ip", "size", "relay-denied", "sent", "deferred", "bounced", "expired",
		"notice", "released", "unknown verdict", "unknown status", "this search cannot be answered; change it and try again"} {
		want[v] = true
	}
	for _, st := range []string{releasereq.Pending, releasereq.Approved, releasereq.Denied, releasereq.Closed} {
		want[st] = true // a request's state on the message page
	}
	for _, v := range verifyChoices {
		want[v.Label] = true // the recipient check's choices
	}
	for _, rr := range releaseRefusals {
		want[rr.text] = true
	}
	want[releaseRefusal(errors.New("connection refused"))] = true
	for _, v := range flashText {
		want[v] = true
	}
	for _, v := range settingLabels {
		want[v] = true
	}
	for _, s := range settings.PolicySettings {
		want[s.Help] = true
		for _, c := range s.Choices {
			if _, err := settings.ParseLevel(c); err != nil { // numbers need none
				want[c] = true
			}
		}
	}
	var missing []string
	for s := range want {
		if _, ok := dutch[s]; !ok {
			missing = append(missing, s)
		}
	}
	sort.Strings(missing)
	for _, s := range missing {
		t.Errorf("no Dutch for %q", s)
	}
	if len(want) < 100 {
		t.Errorf("only %d texts found: the patterns no longer match the templates", len(want))
	}
}
