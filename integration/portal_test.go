//go:build integration

package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPortalBrowser drives the web portal in Debian's chromium against a
// real gateway: a user logs in with password and TOTP (codes from Debian's
// oathtool), finds a quarantined spam message, releases it, and the sink
// receives it; a used code is refused; another user's message id is "Not
// found". An admin then reads the audit log; a domain admin changes the
// domain's spam action and blocks a sender for the domain on its pages,
// and the next messages follow. With
// MAILTOWER_PORTAL_SCREENSHOTS=1 the pages are saved into docs/portal/.
func TestPortalBrowser(t *testing.T) {
	for _, bin := range []string{chromiumPath, "/usr/bin/oathtool"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("%s missing (apt-get install chromium oathtool; see scripts/install-deps.sh)", bin)
		}
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := selfSignedCert(t, dir)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	// Postfix asks the policy service at RCPT (for clients outside
	// mynetworks, as the domain admin's block rule below needs).
	e := NewEnv(t, EnvOptions{MailtowerExtra: fmt.Sprintf("\n[web]\nlisten = \"127.0.0.1:%d\"\nbase_url = %q\ntls_cert = %q\ntls_key = %q\n",
		port, base, cert, key), PostfixMain: []string{"smtpd_relay_restrictions", "smtpd_policy_service_default_action"}})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	const sender, carol, erin = "alice@sender.example", "carol@quarantine.test", "erin@quarantine.test"
	for _, u := range []string{carol, erin} {
		if _, err := e.Mailtower.CLI("user", "add", u); err != nil {
			t.Fatal(err)
		}
	}
	passwd(t, e, carol, "carol's long password")
	passwd(t, e, "portal-admin", "the admin's long password", "admin", "add", "portal-admin")
	const boss = "boss@quarantine.test"
	passwd(t, e, boss, "the boss's long password", "user", "add", boss)
	if _, err := e.Mailtower.CLI("admin", "add", boss, "--domain", "quarantine.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Mailtower.CLI("admin", "require-totp", "quarantine.test"); err != nil {
		t.Fatal(err)
	}
	spam := func(to, subject string) []byte {
		return message([]string{"From: <" + sender + ">", "To: <" + to + ">", "Subject: " + subject,
			"Content-Type: text/html"}, "<p>Dear friend,<img src=\"http://tracker.example/p.gif\"></p><p>"+gtube+"</p>\n")
	}
	e.sendOK(t, sender, []string{carol}, spam(carol, "Pineapple shipment 17"))
	e.sendOK(t, sender, []string{erin}, spam(erin, "For Erin only"))
	e.settle(t)
	erinItems := e.qlist(t, "--recipient", erin)
	if len(erinItems) != 1 {
		t.Fatalf("erin's quarantine: %+v", erinItems)
	}
	waitPort(t, port)

	ctx := newBrowser(t)
	shots := screenshotDir(t)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		settingsChanged() // a step may have changed settings: the next message waits until they are seen
	}
	var secret, text, page string

	// Password, then enrolment: the domain requires a second factor.
	run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#login")), shot("login"),
		chromedp.SendKeys(chromedp.CSS("#login"), carol), chromedp.SendKeys(chromedp.CSS("#password"), "carol's long password"),
		chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#secret")), into(&secret, chromedp.Text(chromedp.CSS("#secret"))), shot("enrol"))
	enrolCode := oathtool(t, secret)
	run("enrol", chromedp.SendKeys(chromedp.CSS("#code"), enrolCode), chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#codes")),
		chromedp.Click(chromedp.CSS("#continue")), chromedp.WaitVisible(chromedp.CSS("#items")))

	// The message is found, previewed as text, released.
	// The list before and after the search both hold #items: wait for the
	// new document, never read the old one while it is being replaced.
	run("find", chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "pineapple"), markStale,
		chromedp.Submit(chromedp.CSS(`input[name="q"]`)), chromedp.WaitVisible(chromedp.CSS(fresh("#items"))),
		into(&text, chromedp.Text(chromedp.CSS(fresh("#items")))), shot("quarantine"))
	if !strings.Contains(text, "Pineapple shipment 17") || strings.Contains(text, "For Erin only") {
		t.Fatalf("carol's search shows:\n%s", text)
	}
	run("preview", chromedp.Click(chromedp.CSS("a.subject")), chromedp.WaitVisible(chromedp.CSS("#release")), into(&text, chromedp.Text(chromedp.CSS("#text"))), shot("message"))
	if !strings.Contains(text, gtube) {
		t.Fatalf("preview text: %q", text)
	}
	var imgs int
	run("no remote content", into(&imgs, chromedp.Evaluate[int](`document.images.length`)))
	if imgs != 0 {
		t.Fatalf("the preview page holds %d images: message HTML was rendered", imgs)
	}
	run("release", chromedp.Click(chromedp.CSS("#release")), chromedp.WaitVisible(chromedp.CSS("#flash")), into(&text, chromedp.Text(chromedp.CSS("#flash"))))
	if !strings.Contains(text, "Released") {
		t.Fatalf("after release: %q", text)
	}
	e.settle(t)
	if got := e.deliveredWithSubject(carol, "Pineapple shipment 17"); len(got) != 1 {
		t.Fatalf("%d released copies at the sink, want 1", len(got))
	} else if h := got[0].Header("X-Mailtower-Released"); len(h) != 1 || !strings.Contains(h[0], "by web:"+carol) {
		t.Errorf("X-Mailtower-Released = %q", h)
	}

	// The mail history: carol's message, released by her and delivered,
	// with the sink's reply; erin's message is not found by its id.
	e.waitRow(t, carol, status("sent"))
	erinRows := e.historyRows(t, "--recipient", erin)
	if len(erinRows) == 0 {
		t.Fatal("erin's message is not in the history")
	}
	run("history", chromedp.Navigate(base+"/history"), chromedp.WaitVisible(chromedp.CSS("#history")),
		into(&text, chromedp.Text(chromedp.CSS("#history"))), shot("history"))
	if !strings.Contains(text, "Pineapple shipment 17") || !strings.Contains(text, "sent") || strings.Contains(text, "For Erin only") {
		t.Fatalf("carol's history shows:\n%s", text)
	}
	run("history story", chromedp.Click(chromedp.CSS("#history a.subject")), chromedp.WaitVisible(chromedp.CSS("#deliveries")),
		into(&text, chromedp.Text(chromedp.CSS("main"))), shot("story"))
	for _, want := range []string{"Pineapple shipment 17", "released", "by web:" + carol, "OK: queued"} {
		if !strings.Contains(text, want) {
			t.Errorf("carol's story lacks %q:\n%s", want, text)
		}
	}
	run("other user's history id", chromedp.Navigate(fmt.Sprintf("%s/history/%d", base, erinRows[0].ID)),
		chromedp.WaitVisible(chromedp.CSS("#error")), into(&text, chromedp.Text(chromedp.CSS("main"))))
	if strings.Contains(text, "For Erin only") {
		t.Fatalf("carol opened erin's history: %q", text)
	}

	// A digest: its link shows the message and releases only by the button.
	run("digest schedule", chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.CSS("#digest")),
		discard(chromedp.Evaluate[bool](`(document.getElementById('digest').value = 'daily', true)`)),
		chromedp.Submit(chromedp.CSS("#digest")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	e.sendOK(t, sender, []string{carol}, spam(carol, "Mango report"))
	e.settle(t)
	if out, err := e.Mailtower.CLI("digest", "run"); err != nil || !strings.Contains(out, "1 digest(s) sent") {
		t.Fatalf("digest run: %v\n%s", err, out)
	}
	e.settle(t)
	digests := e.deliveredWithSubject(carol, "Quarantine: 1 new message(s)")
	if len(digests) != 1 {
		t.Fatalf("%d digests for carol, want 1", len(digests))
	}
	link := regexp.MustCompile(`Subject: Mango report\r?\n\s+(https://\S+)`).FindSubmatch(digests[0].Body())
	if link == nil {
		t.Fatalf("no link for the message in the digest:\n%s", digests[0].Body())
	}
	run("digest link", chromedp.Navigate(string(link[1])), chromedp.WaitVisible(chromedp.CSS("button.release")),
		into(&text, chromedp.Text(chromedp.CSS("#items"))), shot("digest"))
	e.settle(t)
	if !strings.Contains(text, "Mango report") || len(e.deliveredWithSubject(carol, "Mango report")) != 0 {
		t.Fatalf("digest page %q; delivered before the button: %d", text, len(e.deliveredWithSubject(carol, "Mango report")))
	}
	run("digest release", chromedp.Click(chromedp.CSS("button.release")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	e.settle(t)
	if n := len(e.deliveredWithSubject(carol, "Mango report")); n != 1 {
		t.Fatalf("%d copies released from the digest link, want 1", n)
	}

	// Another user's message: not found, as if it did not exist.
	run("other user's id", chromedp.Navigate(base+"/quarantine/"+erinItems[0].ID), chromedp.WaitVisible(chromedp.CSS("#error")),
		into(&text, chromedp.Text(chromedp.CSS("main"))))
	if !strings.Contains(text, "Not found.") || strings.Contains(text, "For Erin only") {
		t.Fatalf("erin's message for carol: %q", text)
	}

	// Log in again: the enrolment's code is used; the next step's works.
	run("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), carol), chromedp.SendKeys(chromedp.CSS("#password"), "carol's long password"),
		chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#code")), shot("totp"))
	// The enrolment's code is refused (used, or of an older step).
	run("replayed code", chromedp.SendKeys(chromedp.CSS("#code"), enrolCode), chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#error")), into(&text, chromedp.Text(chromedp.CSS("#error"))))
	if !strings.Contains(text, "already used") {
		t.Fatalf("replayed code: %q", text)
	}
	if oathtool(t, secret) == enrolCode { // still the enrolment's step: wait for the next
		time.Sleep(time.Until(time.Now().Truncate(30 * time.Second).Add(31 * time.Second)))
	}
	run("second login", chromedp.SendKeys(chromedp.CSS("#code"), oathtool(t, secret)),
		chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#empty")), chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))

	// The admin enrols too (required for admins) and reads the audit log.
	run("admin", chromedp.SendKeys(chromedp.CSS("#login"), "portal-admin"), chromedp.SendKeys(chromedp.CSS("#password"), "the admin's long password"),
		chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#secret")), into(&secret, chromedp.Text(chromedp.CSS("#secret"))))
	run("admin enrol", chromedp.SendKeys(chromedp.CSS("#code"), oathtool(t, secret)), chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#codes")),
		chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("#audit")), into(&text, chromedp.Text(chromedp.CSS("#audit"))), shot("audit"),
		chromedp.Navigate(base+"/domains"), chromedp.WaitVisible(chromedp.CSS("#domains")), shot("domains"))
	// A domain admin sets the domain's spam action to tag on its domain's
	// page: the next spam for erin is delivered, tagged, instead of
	// quarantined.
	run("admin logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), boss), chromedp.SendKeys(chromedp.CSS("#password"), "the boss's long password"),
		chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#secret")), into(&secret, chromedp.Text(chromedp.CSS("#secret"))))
	run("domain admin", chromedp.SendKeys(chromedp.CSS("#code"), oathtool(t, secret)), chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#codes")), chromedp.Navigate(base+"/domains"), chromedp.Click(chromedp.CSS("#domain-quarantine\\.test")),
		chromedp.WaitVisible(chromedp.CSS("#f-spam-action")),
		discard(chromedp.Evaluate[bool](`(document.getElementById('f-spam-action').value = 'tag', true)`)),
		chromedp.Click(chromedp.CSS("#save-policy")), chromedp.WaitVisible(chromedp.CSS("#flash")), shot("domain"))
	e.sendOK(t, sender, []string{erin}, spam(erin, "After the change"))
	e.settle(t)
	if n := len(e.deliveredTo(erin)); n != 1 {
		t.Errorf("spam for erin after the domain admin chose tag: %d delivered, want 1", n)
	}
	if n := len(e.qlist(t, "--recipient", erin)); n != 1 {
		t.Errorf("erin's quarantine holds %d, want still only the first", n)
	}
	// The domain admin blocks a sender for the whole domain: its next
	// message to any user of the domain is refused at RCPT.
	const pest = "pest@sender.example"
	run("domain block rule", chromedp.Click(chromedp.CSS("#domain-senders")), chromedp.WaitVisible(chromedp.CSS("#sender")),
		chromedp.SendKeys(chromedp.CSS("#sender"), pest), chromedp.Click(chromedp.CSS(`button[value="block"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flash")), into(&page, chromedp.Text(chromedp.CSS("main"))), shot("domain-senders"))
	if !strings.Contains(page, pest) {
		t.Fatalf("blocked senders page: %q", page)
	}
	transact(t, e.Postfix.Addr(), outsideIP, pest, []string{erin}, 0).want(t, erin, 550, "block-sender "+pest)
	transact(t, e.Postfix.Addr(), outsideIP, sender, []string{erin}, 0).want(t, erin, 250, "") // only that sender
	out, err := e.Mailtower.CLI("audit", "list", "--actor", boss, "--action", "setting")
	for _, want := range []string{"spam-action tag", "add block-sender " + pest} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("audit of the domain admin lacks %q: %v\n%s", want, err, out)
		}
	}

	for _, want := range []string{"quarantine.release", carol, "login.failed", "password+totp"} {
		if !strings.Contains(text, want) {
			t.Errorf("audit log lacks %q:\n%s", want, text)
		}
	}
	portalDomainSteps(t, e, base, ctx, shot)
}

// chromiumPath is Debian's chromium; the test never downloads a browser.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless chromium with a fresh profile. It accepts
// the test's self-signed certificate: the portal's cookie is __Host-,
// which browsers keep only from HTTPS pages.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.IgnoreCertErrors, chromedp.WindowSize(1200, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// discard runs a and drops its value.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	var v T
	return into(&v, a)
}

// markStale marks the page shown now, so that fresh can tell the page a
// form submission loads from it.
var markStale = discard(chromedp.Evaluate[bool](`(document.documentElement.dataset.stale = "1", true)`))

// fresh selects sel on a page loaded after markStale only.
func fresh(sel string) string { return "html:not([data-stale]) " + sel }

// into runs a, then stores its value in dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := a(ctx, tg)
		*dst = v
		return err
	})
}

// passwd sets a portal password through `mailtower user passwd` on
// stdin, after the optional command pre (e.g. admin add).
func passwd(t *testing.T, e *Env, login, password string, pre ...string) {
	t.Helper()
	if len(pre) > 0 {
		if _, err := e.Mailtower.CLI(pre...); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(mailtowerBin, "--config", e.Mailtower.Config, "user", "passwd", login)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user passwd %s: %v\n%s", login, err, out)
	}
}

// oathtool returns the current TOTP code of a base32 secret from Debian's
// oathtool: an implementation independent of the portal's.
func oathtool(t *testing.T, secret string) string {
	t.Helper()
	out, err := exec.Command("oathtool", "--totp", "-b", secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key.
func selfSignedCert(t *testing.T, dir string) (string, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o644)
	os.Chmod(dir, 0o755) // mailtower serve may run as another user
	return cert, key
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	if !waitFor(30*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("portal not listening on %d", port)
	}
}

// screenshotDir is docs/portal with MAILTOWER_PORTAL_SCREENSHOTS=1, else a temp dir.
func screenshotDir(t *testing.T) string {
	if os.Getenv("MAILTOWER_PORTAL_SCREENSHOTS") == "" {
		return t.TempDir()
	}
	d, _ := filepath.Abs(filepath.Join("..", "docs", "portal"))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}
