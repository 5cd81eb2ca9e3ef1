package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/audit"
)

// TestDomainAdminSettings: a domain admin changes its domain's policy,
// retention and options through the same descriptor and stores as
// `domain set`; a value `domain set` refuses is refused here too.
func TestDomainAdminSettings(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	boss := p.login("boss@a.test")
	code, page, _ := boss.do("GET", "/domains/a.test", nil)
	if code != 200 || !strings.Contains(page, `id="f-spam-level"`) || !strings.Contains(page, "default (quarantine)") {
		t.Fatalf("domain page: %d\n%s", code, page)
	}
	form := url.Values{"spam-level": {"5"}, "spam-action": {"tag"}, "virus-action": {""}, "max-size": {"10MB"},
		"notify-virus": {"admin"}, "admin": {"IT@a.test"}, "retention-spam": {"7d"}}
	if code, _, h := boss.do("POST", "/domains/a.test/policy", form); code != http.StatusSeeOther || h.Get("Location") != "/domains/a.test?done=saved" {
		t.Fatalf("save policy: %d %v", code, h)
	}
	d, _ := p.settings.Domain(ctx, "a.test")
	o := d.Overrides
	if o.SpamLevel == nil || *o.SpamLevel != 5 || o.SpamAction == nil || *o.SpamAction != settings.ActionTag || o.VirusAction != nil ||
		o.MaxSize == nil || *o.MaxSize != 10_000_000 || o.NotifyVirus == nil || *o.NotifyVirus != settings.NotifyAdmin ||
		o.Admin == nil || *o.Admin != "it@a.test" {
		t.Fatalf("overrides after the form: %+v", o)
	}
	dr, _ := p.q.DomainRetention(ctx, "a.test")
	if dr.For(scan.Spam) == nil || *dr.For(scan.Spam) != 7*24*time.Hour || dr.For(scan.Virus) != nil {
		t.Fatalf("retention: %+v", dr)
	}
	_, page, _ = boss.do("GET", "/domains/a.test", nil)
	if !strings.Contains(page, `<option value="5" selected>`) || !strings.Contains(page, `value="7d"`) {
		t.Fatalf("page does not show the saved values:\n%s", page)
	}
	// The page posts every field; one bad value refuses the form.
	for field, bad := range map[string]string{"spam-level": "9", "spam-action": "bounce", "virus-action": "pass",
		"max-size": "huge", "retention-virus": "10m"} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(field, bad)
		if code, _, _ := boss.do("POST", "/domains/a.test/policy", f); code != http.StatusBadRequest {
			t.Errorf("%s=%s: %d, want 400", field, bad, code)
		}
	}
	if d2, _ := p.settings.Domain(ctx, "a.test"); d2.Overrides.SpamLevel == nil || *d2.Overrides.SpamLevel != 5 {
		t.Fatalf("a refused form changed the level: %+v", d2.Overrides)
	}
	if code, _, _ := boss.do("POST", "/domains/a.test/options", url.Values{"catch_all": {"1"}, "user_spam": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("options: %d", code)
	}
	d, _ = p.settings.Domain(ctx, "a.test")
	if us, _ := p.acc.DomainUserSpam(ctx, "a.test"); !d.CatchAll || !us {
		t.Fatalf("catch-all %v, user spam %v", d.CatchAll, us)
	}
	entries, _ := p.audit.List(ctx, audit.Filter{Actor: "boss@a.test", Action: audit.Setting})
	var details []string
	for _, e := range entries {
		details = append(details, e.Detail)
	}
	all := strings.Join(details, "\n")
	for _, want := range []string{"spam-level 5", "spam retention 7d", "catch-all yes", "spam-level 9"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit lacks %q:\n%s", want, all)
		}
	}
}

// TestDomainAdminUsers: users, passwords, aliases and domain sender
// rules, each limited to the admin's domain.
func TestDomainAdminUsers(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	bob := p.login("bob@a.test")
	boss := p.login("boss@a.test")
	post := func(path string, form url.Values, want int) {
		t.Helper()
		if code, page, _ := boss.do("POST", path, form); code != want {
			t.Fatalf("POST %s %v: %d, want %d\n%s", path, form, code, want, page)
		}
	}
	post("/domains/a.test/users", url.Values{"address": {"New@A.test"}}, http.StatusSeeOther)
	if _, err := p.settings.User(ctx, "new@a.test"); err != nil {
		t.Fatal(err)
	}
	post("/domains/a.test/users", url.Values{"address": {"x@b.test"}}, http.StatusBadRequest)
	post("/domains/a.test/users/remove", url.Values{"address": {"new@a.test"}}, http.StatusSeeOther)
	if _, err := p.settings.User(ctx, "new@a.test"); err == nil {
		t.Fatal("new@a.test still a user")
	}
	// A new password ends bob's sessions; bob logs in with it.
	post("/domains/a.test/users/password", url.Values{"address": {"bob@a.test"}, "password": {"short"}}, http.StatusBadRequest)
	post("/domains/a.test/users/password", url.Values{"address": {"bob@a.test"}, "password": {"bob's brand new password"}}, http.StatusSeeOther)
	if code, _, h := bob.do("GET", "/quarantine", nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("bob's old session after the reset: %d %v", code, h.Get("Location"))
	}
	if err := p.acc.CheckPassword(ctx, "bob@a.test", "bob's brand new password"); err != nil {
		t.Fatal(err)
	}
	// Another domain's user, and a domain admin's login: refused.
	post("/domains/a.test/users/password", url.Values{"address": {"carol@b.test"}, "password": {"a long new password"}}, http.StatusNotFound)
	post("/domains/a.test/users/password", url.Values{"address": {"boss@a.test"}, "password": {"a long new password"}}, http.StatusForbidden)
	post("/domains/a.test/users/remove", url.Values{"address": {"boss@a.test"}}, http.StatusForbidden)
	if err := p.acc.CheckPassword(ctx, "carol@b.test", pw); err != nil {
		t.Fatalf("carol's password changed: %v", err)
	}

	post("/domains/a.test/aliases", url.Values{"address": {"info@a.test"}, "target": {"bob@a.test"}}, http.StatusSeeOther)
	post("/domains/a.test/aliases", url.Values{"address": {"info@b.test"}}, http.StatusBadRequest)
	if _, page, _ := boss.do("GET", "/domains/a.test", nil); !strings.Contains(page, "info@a.test") {
		t.Fatal("alias not listed")
	}
	post("/domains/a.test/aliases/remove", url.Values{"address": {"info@a.test"}}, http.StatusSeeOther)
	if as, _ := p.settings.Aliases().List(ctx, "a.test"); len(as) != 0 {
		t.Fatalf("aliases left: %+v", as)
	}

	// Domain sender rules; another domain's rule id is not removed.
	post("/senders", url.Values{"for": {"a.test"}, "sender": {"Spammer@Evil.example"}, "kind": {"block"}}, http.StatusSeeOther)
	rules, _ := p.settings.Rules(ctx, settings.Scope{Kind: settings.ScopeDomain, Name: "a.test"}, settings.BlockSender)
	if len(rules) != 1 || rules[0].Value != "spammer@evil.example" {
		t.Fatalf("domain rules: %+v", rules)
	}
	other, err := p.settings.AddRule(ctx, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeDomain, Name: "b.test"},
		Kind: settings.BlockSender, Value: "x@y.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/senders/" + itoa(other.ID) + "/remove", "/senders/" + itoa(rules[0].ID) + "/remove"} {
		post(path, url.Values{"for": {"bob@a.test"}}, http.StatusNotFound) // not bob's rules
	}
	post("/senders/"+itoa(other.ID)+"/remove", url.Values{"for": {"a.test"}}, http.StatusNotFound)
	post("/senders/"+itoa(rules[0].ID)+"/remove", url.Values{"for": {"a.test"}}, http.StatusSeeOther)
	if rs, _ := p.settings.Rules(ctx, settings.Scope{}, ""); len(rs) != 1 || rs[0].ID != other.ID {
		t.Fatalf("rules left: %+v", rs)
	}
}

// TestUserSpamLevel: a user sets its own spam level only when its domain
// allows it; never another user's.
func TestUserSpamLevel(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	bob := p.login("bob@a.test")
	if code, _, _ := bob.do("GET", "/spam", nil); code != http.StatusNotFound {
		t.Fatalf("spam page before the domain allows it: %d", code)
	}
	if _, page, _ := bob.do("GET", "/account", nil); strings.Contains(page, `id="spam-link"`) {
		t.Fatal("account page links to the spam filter before the domain allows it")
	}
	if err := p.acc.SetDomainUserSpam(ctx, "a.test", true); err != nil {
		t.Fatal(err)
	}
	if _, page, _ := bob.do("GET", "/account", nil); !strings.Contains(page, `id="spam-link"`) {
		t.Fatal("no spam filter link on the account page")
	}
	if code, page, _ := bob.do("GET", "/spam", nil); code != 200 || !strings.Contains(page, `id="f-spam-level"`) || strings.Contains(page, `id="f-max-size"`) {
		t.Fatalf("spam page: %d\n%s", code, page)
	}
	if code, _, _ := bob.do("POST", "/spam", url.Values{"spam-level": {"2"}, "spam-action": {"tag"}, "max-size": {"1KB"}}); code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	u, _ := p.settings.User(ctx, "bob@a.test")
	if u.Overrides.SpamLevel == nil || *u.Overrides.SpamLevel != 2 || *u.Overrides.SpamAction != settings.ActionTag || u.Overrides.MaxSize != nil {
		t.Fatalf("bob's overrides: %+v", u.Overrides)
	}
	for _, path := range []string{"/spam?for=dave@a.test", "/spam?for=carol@b.test"} {
		if code, _, _ := bob.do("GET", path, nil); code != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	if code, _, _ := bob.do("POST", "/spam", url.Values{"for": {"dave@a.test"}, "spam-level": {"1"}}); code != http.StatusNotFound {
		t.Errorf("bob sets dave's level: %d", code)
	}
	carol := p.login("carol@b.test")
	if code, _, _ := carol.do("GET", "/spam", nil); code != http.StatusNotFound {
		t.Errorf("carol's domain does not allow it: %d", code)
	}
	// The domain admin may always, for every user of its domain.
	boss := p.login("boss@a.test")
	if code, _, _ := boss.do("POST", "/spam", url.Values{"for": {"dave@a.test"}, "spam-level": {"4"}}); code != http.StatusSeeOther {
		t.Errorf("domain admin sets dave's level: %d", code)
	}
	if code, _, _ := boss.do("GET", "/spam?for=carol@b.test", nil); code != http.StatusNotFound {
		t.Errorf("domain admin of a.test opens carol's: %d", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
