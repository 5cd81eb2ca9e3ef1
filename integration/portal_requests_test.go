//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// portalDomainSteps continues TestPortalBrowser with the domain admin
// (logged in, in the browser boss) on its domain's page: it adds a relay
// network, runs the MX check, and turns on release requests; erin, in a
// second browser, requests the release of her quarantined message, which
// stays quarantined until the domain admin approves it; then the sink
// receives it.
func portalDomainSteps(t *testing.T, e *Env, base string, boss context.Context, shot func(string) chromedp.Action[chromedp.Void]) {
	const erin, erinPassword = "erin@quarantine.test", "erin's long password"
	run := func(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var text, secret string
	run(boss, "relay network", chromedp.Navigate(base+"/domains/quarantine.test"), chromedp.WaitVisible(chromedp.CSS("#new-relaynet")),
		chromedp.SendKeys(chromedp.CSS("#new-relaynet"), "192.0.2.0/24"), chromedp.Click(chromedp.CSS("#add-relaynet")),
		chromedp.WaitVisible(chromedp.CSS("#flash")), into(&text, chromedp.Text(chromedp.CSS("#relaynet-list"))))
	if !strings.Contains(text, "192.0.2.0/24") {
		t.Fatalf("relay networks: %q", text)
	}
	if out, err := e.Mailtower.CLI("domain", "show", "quarantine.test"); err != nil || !strings.Contains(out, "192.0.2.0/24") {
		t.Fatalf("domain show after the portal's relay network: %v\n%s", err, out)
	}
	run(boss, "MX check", chromedp.Click(chromedp.CSS("#check-mx")), chromedp.WaitVisible(chromedp.CSS("#mx-at")),
		into(&text, chromedp.Text(chromedp.CSS("#mx-status"))))
	if text == "" || text == "Not checked" {
		t.Fatalf("MX status after the check: %q", text)
	}
	run(boss, "release requests on", chromedp.Click(chromedp.CSS(`input[name="release_requests"]`)),
		chromedp.Click(chromedp.CSS("#save-options")), chromedp.WaitVisible(chromedp.CSS("#requests-link")))

	// erin, in a browser of her own, asks for her message.
	passwd(t, e, erin, erinPassword)
	user := newBrowser(t)
	run(user, "erin login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), erin), chromedp.SendKeys(chromedp.CSS("#password"), erinPassword),
		chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#secret")), into(&secret, chromedp.Text(chromedp.CSS("#secret"))))
	run(user, "erin enrol", chromedp.SendKeys(chromedp.CSS("#code"), oathtool(t, secret)), chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#codes")), chromedp.Click(chromedp.CSS("#continue")), chromedp.WaitVisible(chromedp.CSS("#items")),
		chromedp.Click(chromedp.CSS("a.subject")), chromedp.WaitVisible(chromedp.CSS("#request-release")),
		chromedp.Click(chromedp.CSS("#request-release")), chromedp.WaitVisible(chromedp.CSS("#request-pending")),
		into(&text, chromedp.Text(chromedp.CSS("#requests"))), shot("request"))
	if !strings.Contains(text, "pending") {
		t.Fatalf("erin's request: %q", text)
	}
	e.settle(t)
	if n := len(e.deliveredWithSubject(erin, "For Erin only")); n != 0 {
		t.Fatalf("a request delivered %d copies", n)
	}

	// The domain admin approves: the normal release.
	run(boss, "approve", chromedp.Navigate(base+"/domains/quarantine.test/requests"), chromedp.WaitVisible(chromedp.CSS("button.approve")),
		into(&text, chromedp.Text(chromedp.CSS("#requests"))), shot("requests"),
		chromedp.Click(chromedp.CSS("button.approve")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if !strings.Contains(text, "For Erin only") || !strings.Contains(text, erin) {
		t.Fatalf("requests page: %q", text)
	}
	e.settle(t)
	got := e.deliveredWithSubject(erin, "For Erin only")
	if len(got) != 1 {
		t.Fatalf("%d copies after the approval, want 1", len(got))
	}
	if h := got[0].Header("X-Mailtower-Released"); len(h) != 1 || !strings.Contains(h[0], "requested by "+erin) {
		t.Errorf("X-Mailtower-Released = %q", h)
	}
	out, err := e.Mailtower.CLI("audit", "list", "--action", "quarantine.request")
	if err != nil || !strings.Contains(out, erin) {
		t.Errorf("audit of the request: %v\n%s", err, out)
	}
}
