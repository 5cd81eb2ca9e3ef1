package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// TestDomainMirrorAndCallout: a domain admin sets its domain's recipient
// check and mail mirror with the checks of `domain set`; a secret key is
// refused and never shown, stored or audited; only an admin sets the
// operator's escrow key.
func TestDomainMirrorAndCallout(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	escrow, _ := age.GenerateX25519Identity()
	key, secret := id.Recipient().String(), id.String()
	boss := p.login("boss@a.test")
	domain := func() *settings.Domain {
		t.Helper()
		d, err := p.settings.Domain(ctx, "a.test")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	post := func(b *browser, path string, form url.Values, want int) string {
		t.Helper()
		code, page, _ := b.do("POST", path, form)
		if code != want {
			t.Fatalf("POST %s %v: %d, want %d\n%s", path, form, code, want, page)
		}
		return page
	}
	post(boss, "/domains/a.test/options", url.Values{"verify": {"callout"}}, http.StatusSeeOther)
	if d := domain(); d.VerifyRecipients != settings.VerifyCallout {
		t.Fatalf("verify: %q", d.VerifyRecipients)
	}
	post(boss, "/domains/a.test/options", url.Values{"verify": {"ask-nicely"}}, http.StatusBadRequest)
	post(boss, "/domains/a.test/options", url.Values{"catch_all": {"1"}}, http.StatusSeeOther) // no field: unchanged
	if d := domain(); d.VerifyRecipients != settings.VerifyCallout || !d.CatchAll {
		t.Fatalf("after the options without verify: %q %v", d.VerifyRecipients, d.CatchAll)
	}
	if _, page, _ := boss.do("GET", "/domains/a.test", nil); !strings.Contains(page, `<option value="callout" selected>`) {
		t.Fatalf("page does not show callout:\n%s", page)
	}

	for _, bad := range []url.Values{
		{"days": {"14"}, "key": {secret}},
		{"days": {"14"}, "key": {"  x" + secret}},
		{"days": {"14"}, "key": {"age1notakey"}},
		{"days": {"14"}},
		{"days": {"91"}, "key": {key}},
		{"days": {"-1"}, "key": {key}},
	} {
		page := post(boss, "/domains/a.test/mirror", bad, http.StatusBadRequest)
		if strings.Contains(page, secret) {
			t.Fatalf("the secret key is echoed:\n%s", page)
		}
	}
	if d := domain(); d.Mirror != nil {
		t.Fatalf("a refused form set the mirror: %+v", d.Mirror)
	}
	post(boss, "/domains/a.test/mirror", url.Values{"days": {"14"}, "key": {key}, "escrow": {escrow.Recipient().String()}}, http.StatusSeeOther)
	if m := domain().Mirror; m == nil || m.Days != 14 || m.Recipient != key || m.Escrow != "" {
		t.Fatalf("mirror: %+v (a domain admin's escrow must be ignored)", m)
	}
	_, page, _ := boss.do("GET", "/domains/a.test", nil)
	if !strings.Contains(page, `value="`+key+`"`) || strings.Contains(page, `name="escrow"`) || !strings.Contains(page, `id="mirror-escrow"`) {
		t.Fatalf("mirror card for a domain admin:\n%s", page)
	}
	root := p.login("root")
	post(root, "/domains/a.test/mirror", url.Values{"days": {"7"}, "key": {key}, "escrow": {escrow.Recipient().String()}}, http.StatusSeeOther)
	if m := domain().Mirror; m == nil || m.Days != 7 || m.Escrow != escrow.Recipient().String() {
		t.Fatalf("mirror after root: %+v", m)
	}
	// The domain admin changes the days; the escrow stays.
	post(boss, "/domains/a.test/mirror", url.Values{"days": {"10"}, "key": {key}}, http.StatusSeeOther)
	if m := domain().Mirror; m == nil || m.Days != 10 || m.Escrow != escrow.Recipient().String() {
		t.Fatalf("mirror after the domain admin: %+v", m)
	}
	post(boss, "/domains/a.test/mirror", url.Values{"days": {"0"}, "key": {key}}, http.StatusSeeOther)
	if m := domain().Mirror; m != nil {
		t.Fatalf("mirror not off: %+v", m)
	}
	entries, _ := p.audit.List(ctx, audit.Filter{Action: audit.Setting})
	var all []string
	for _, e := range entries {
		all = append(all, e.Detail)
	}
	log := strings.Join(all, "\n")
	if strings.Contains(log, secret) || strings.Contains(strings.ToUpper(log), "AGE-SECRET-KEY-1") {
		t.Fatalf("the audit log has the secret key:\n%s", log)
	}
	for _, want := range []string{"recipient check callout", "mirror 14 days, key " + key, "mirror off", "(refused: mirror key: this is a secret key"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit lacks %q:\n%s", want, log)
		}
	}
}
