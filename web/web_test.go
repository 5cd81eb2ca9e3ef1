package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
	"github.com/mailtower/mailtower/web/account"
	"github.com/mailtower/mailtower/web/audit"
	"github.com/mailtower/mailtower/web/releasereq"
)

// portal is a portal on a temporary database, served over TLS (the
// cookie is __Host-, Secure) with a release that only records its calls.
type portal struct {
	t        testing.TB
	srv      *httptest.Server
	acc      *account.Store
	audit    *audit.Log
	q        *quarantine.Store
	db       *store.DB
	settings *settings.SQLStore
	requests *releasereq.Store
	mu       sync.Mutex
	released []string // "id:recipients"
	// remembered are the releases asked to remember the sender ("id").
	remembered []string
	ids        map[string]string
	hist       *history.Store
	hids       map[string]string // history ids by the same keys as ids, and "bobout"
	secrets    map[string]string // TOTP secrets of the logins enrolled by login
	// skew moves the accounts' clock ahead (the next TOTP step without waiting).
	skew time.Duration
	// dns answers the MX/DNS check.
	dns *fakeResolver
}

func (p *portal) now() time.Time { return time.Now().Add(p.skew) }

// code is login's current TOTP code.
func (p *portal) code(t testing.TB, login string) string {
	c, err := totp.GenerateCode(p.secrets[login], p.now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const pw = "correct horse battery"

func newPortal(t testing.TB) *portal {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.Open(t) // SQLite, or PostgreSQL under scripts/test-postgres.sh
	p := &portal{t: t, db: db, ids: map[string]string{}, secrets: map[string]string{}, dns: newFakeResolver()}
	var err error
	if p.acc, err = account.Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	p.acc.SetClock(p.now)
	if p.audit, err = audit.Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	if p.requests, err = releasereq.Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	if p.settings, err = settings.NewSQLStore(ctx, db); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	if p.q, err = quarantine.Open(ctx, db, dir, quarantine.Retention{Virus: 14 * day, Spam: 30 * day, Content: 30 * day}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a.test", "b.test"} {
		if err := p.settings.AddDomain(ctx, settings.Domain{Name: d, Relay: "[127.0.0.1]:25"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		key, rcpt, subject, body string
		cat                      scan.Category
	}{
		{"bob1", "bob@a.test", "Cheap pills", "Subject: Cheap pills\r\nContent-Type: text/html\r\n\r\n<p>Buy <b>now</b><script>alert(1)</script><img src=\"http://evil.example/x.png\"></p>", scan.Spam},
		{"bob2", "bob@a.test", "Invoice.zip", "Subject: Invoice\r\n\r\nvirus here", scan.Virus},
		{"dave1", "dave@a.test", "Payroll", "Subject: Payroll\r\n\r\nsalaries", scan.Content},
		{"carol1", "carol@b.test", "Lottery", "Subject: Lottery\r\n\r\nyou won", scan.Spam},
	} {
		id, err := p.q.Put(ctx, quarantine.Entry{Envelope: scan.Envelope{QueueID: "Q", Sender: "x@spam.example"},
			Subject: m.subject, Raw: strings.NewReader(m.body), Size: int64(len(m.body)),
			Recipients: []quarantine.Recipient{{Address: m.rcpt, Category: m.cat, Reason: "test", Score: 9}}})
		if err != nil {
			t.Fatal(err)
		}
		p.ids[m.key] = id
	}
	p.hist, p.hids = fillHistory(t, db)
	for _, u := range []string{"bob@a.test", "carol@b.test", "dave@a.test", "boss@a.test"} {
		if err := p.settings.AddUser(ctx, settings.User{Address: u, Domain: u[strings.IndexByte(u, '@')+1:]}); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"bob@a.test", "carol@b.test", "dave@a.test", "boss@a.test", "root"} {
		if err := p.acc.SetPassword(ctx, l, pw); err != nil {
			t.Fatal(err)
		}
	}
	p.acc.AddRole(ctx, "boss@a.test", account.RoleDomainAdmin, "a.test")
	p.acc.AddRole(ctx, "root", account.RoleAdmin, "")
	release := func(_ context.Context, req ReleaseRequest) (ReleaseResult, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		id, rcpts := req.ID, req.Recipients
		items, err := p.q.Get(context.Background(), id)
		if err == nil && items[0].Category == scan.Virus && !req.Force {
			return ReleaseResult{}, quarantine.ErrVirus
		}
		p.released = append(p.released, id+":"+strings.Join(rcpts, ","))
		if req.Remember {
			p.remembered = append(p.remembered, id)
		}
		return ReleaseResult{Released: quarantine.Released{ID: id, Recipients: rcpts}}, nil
	}
	s, err := New(Deps{Accounts: p.acc, Audit: p.audit, Quarantine: p.q, History: p.hist, Settings: p.settings, Release: release, Requests: p.requests,
		Defaults: settings.Policy{SpamLevel: 3, SpamAction: settings.ActionQuarantine, VirusAction: settings.ActionQuarantine,
			ContentAction: settings.ActionQuarantine, MaxSize: 25_000_000, NotifyVirus: settings.NotifyNone},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Resolver: p.dns},
		Options{BaseURL: "https://portal.test", Sessions: account.SessionLimits{Idle: time.Hour, Max: 2 * time.Hour},
			MXNames: []string{"mx.gw.test"}, Now: p.now})
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewTLSServer(s.Handler())
	t.Cleanup(p.srv.Close)
	return p
}

// browser is a logged-in client with a cookie jar; it does not follow
// redirects, so tests see the 303s.
type browser struct {
	p    *portal
	c    *http.Client
	csrf string
}

func (p *portal) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := new(http.Client)
	*c = *p.srv.Client() // a copy: each browser has its own cookie jar
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{p: p, c: c}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.p.t.Helper()
	var body io.Reader
	if form != nil {
		if b.csrf != "" && form.Get("csrf") == "" {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.p.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.p.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(out); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(out), resp.Header
}

// login logs in with the password and, when asked for, a TOTP code.
func (p *portal) login(login string) *browser {
	p.t.Helper()
	b := p.browser()
	code, _, h := b.do("POST", "/login", url.Values{"login": {login}, "password": {pw}})
	if code != http.StatusSeeOther {
		p.t.Fatalf("login %s: %d", login, code)
	}
	switch h.Get("Location") {
	case "/account/totp":
		_, page, _ := b.do("GET", "/account/totp", nil)
		secret := regexp.MustCompile(`id="secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
		if secret == nil {
			p.t.Fatalf("enrolment page without a key:\n%s", page)
		}
		p.secrets[login] = secret[1]
		c := p.code(p.t, login)
		if code, page, _ := b.do("POST", "/account/totp", url.Values{"code": {c}}); code != 200 || !strings.Contains(page, `id="codes"`) {
			p.t.Fatalf("enrol %s: %d\n%s", login, code, page)
		}
	case "/quarantine":
	default:
		p.t.Fatalf("login %s went to %s", login, h.Get("Location"))
	}
	b.do("GET", "/quarantine", nil)
	return b
}

var timeNow = time.Now

const time24 = 24 * time.Hour
