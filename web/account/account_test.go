package account

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openTest(t testing.TB) (*Store, *store.DB, *clock) {
	t.Helper()
	db := storetest.Open(t)
	s, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}
	s.SetClock(c.now)
	return s, db, c
}

func TestPasswords(t *testing.T) {
	ctx := context.Background()
	s, db, _ := openTest(t)
	if err := s.SetPassword(ctx, "short@example.org", "abc"); !errors.Is(err, ErrWeakSecret) {
		t.Fatalf("short password: %v", err)
	}
	if err := s.SetPassword(ctx, "Alice@Example.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var stored string
	db.QueryRow(`SELECT password FROM account_logins WHERE login = 'alice@example.org'`).Scan(&stored)
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(stored, "horse") {
		t.Fatalf("stored %q: want an argon2id PHC string", stored)
	}
	for _, c := range []struct {
		login, pw string
		want      error
	}{
		{"alice@example.org", "correct horse battery", nil},
		{" ALICE@example.org ", "correct horse battery", nil},
		{"alice@example.org", "correct horse batterY", ErrBadLogin},
		{"bob@example.org", "correct horse battery", ErrBadLogin},
	} {
		if err := s.CheckPassword(ctx, c.login, c.pw); !errors.Is(err, c.want) {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", c.login, c.pw, err, c.want)
		}
	}
	// A bcrypt hash from an import works once and is replaced by argon2id.
	bh, _ := bcrypt.GenerateFromPassword([]byte("imported secret"), bcrypt.MinCost)
	if err := s.SetPasswordHash(ctx, "carol@example.org", string(bh)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasswordHash(ctx, "carol@example.org", "plaintext"); err == nil {
		t.Fatal("a non-hash was accepted as a hash")
	}
	if err := s.CheckPassword(ctx, "carol@example.org", "imported secret"); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT password FROM account_logins WHERE login = 'carol@example.org'`).Scan(&stored)
	if !strings.HasPrefix(stored, "$argon2id$") {
		t.Fatalf("bcrypt hash not upgraded: %q", stored)
	}
	if err := s.CheckPassword(ctx, "carol@example.org", "imported secret"); err != nil {
		t.Fatal(err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s, db, c := openTest(t)
	lim := SessionLimits{Idle: 30 * time.Minute, Max: 2 * time.Hour}
	if err := s.SetPassword(ctx, "alice@example.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	sess, err := s.NewSession(ctx, "alice@example.org", StageFull, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM account_sessions WHERE id_hash = ?`, sess.ID).Scan(&n)
	if n != 0 {
		t.Fatal("session id stored in clear")
	}
	steps := []struct {
		advance time.Duration
		ok      bool
	}{{0, true}, {29 * time.Minute, true}, {29 * time.Minute, true}, {29 * time.Minute, true}, {29 * time.Minute, true},
		{5 * time.Minute, false}} // 2h01 after the login: past the absolute limit
	for i, st := range steps {
		c.t = c.t.Add(st.advance)
		_, err := s.Session(ctx, sess.ID, lim)
		if (err == nil) != st.ok {
			t.Fatalf("step %d (+%s): err %v, want ok=%v", i, st.advance, err, st.ok)
		}
	}
	idle, _ := s.NewSession(ctx, "alice@example.org", StageFull, "192.0.2.1")
	c.t = c.t.Add(31 * time.Minute)
	if _, err := s.Session(ctx, idle.ID, lim); !errors.Is(err, ErrNoSession) {
		t.Fatalf("idle session: %v", err)
	}
	// A password change ends every session.
	live, _ := s.NewSession(ctx, "alice@example.org", StageFull, "192.0.2.1")
	if err := s.SetPassword(ctx, "alice@example.org", "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, live.ID, lim); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session after password change: %v", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43) + "=", live.ID + "A", "../../etc/passwd"} {
		if _, err := s.Session(ctx, bad, lim); !errors.Is(err, ErrNoSession) {
			t.Errorf("Session(%q) = %v", bad, err)
		}
	}
}

func TestTOTPReplayAndRecovery(t *testing.T) {
	ctx := context.Background()
	s, _, c := openTest(t)
	login := "admin"
	if err := s.AddRole(ctx, login, RoleAdmin, ""); err != nil {
		t.Fatal(err)
	}
	key, err := s.BeginTOTP(ctx, login, "mailtower")
	if err != nil {
		t.Fatal(err)
	}
	code := func(at time.Time) string {
		v, err := totp.GenerateCodeCustom(key.Secret(), at, totpOpts)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := s.VerifyTOTP(ctx, login, code(c.t)); !errors.Is(err, ErrBadCode) {
		t.Fatalf("unconfirmed factor accepted: %v", err)
	}
	codes, err := s.ConfirmTOTP(ctx, login, code(c.t))
	if err != nil || len(codes) != RecoveryCodes {
		t.Fatalf("confirm: %v %v", codes, err)
	}
	c.t = c.t.Add(30 * time.Second)
	for i, st := range []struct {
		code string
		want error
	}{
		{code(c.t.Add(-30 * time.Second)), ErrBadCode}, // the enrolment's step: used
		{code(c.t), nil},
		{code(c.t), ErrBadCode}, // replay within its step
		{code(c.t.Add(30 * time.Second)), nil},
		{code(c.t), ErrBadCode},                       // older than the last used
		{code(c.t.Add(90 * time.Second)), ErrBadCode}, // too far ahead
		{"12345", ErrBadCode},
		{codes[0], nil},
		{codes[0], ErrBadCode}, // a recovery code works once
		{strings.ToUpper(codes[1]), nil},
		{"aaaa-bbbb-cccc", ErrBadCode},
	} {
		if err := s.VerifyTOTP(ctx, login, st.code); !errors.Is(err, st.want) {
			t.Errorf("step %d: VerifyTOTP(%q) = %v, want %v", i, st.code, err, st.want)
		}
	}
	if n, _ := s.RecoveryLeft(ctx, login); n != RecoveryCodes-2 {
		t.Errorf("recovery codes left %d", n)
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	s, _, c := openTest(t)
	for i := 0; i < MaxLoginFailures; i++ {
		if err := s.LoginAllowed(ctx, "alice@example.org", "192.0.2.7"); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		s.LoginFailed(ctx, "alice@example.org", "192.0.2.7")
	}
	if err := s.LoginAllowed(ctx, "Alice@example.org", "198.51.100.1"); !errors.Is(err, ErrRateLimit) {
		t.Fatalf("per-login limit: %v", err)
	}
	if err := s.LoginAllowed(ctx, "bob@example.org", "192.0.2.8"); err != nil {
		t.Fatalf("other login, same /24 under its limit: %v", err)
	}
	for i := 0; i < MaxNetFailures; i++ {
		s.LoginFailed(ctx, "u"+string(rune('a'+i%26))+"@example.org", "2001:db8:1:2::"+string(rune('1'+i%9)))
	}
	if err := s.LoginAllowed(ctx, "new@example.org", "2001:db8:1:ff::1"); !errors.Is(err, ErrRateLimit) {
		t.Fatalf("per-/56 limit: %v", err)
	}
	if err := s.LoginAllowed(ctx, "new@example.org", "2001:db8:1:100::1"); err != nil {
		t.Fatalf("other /56: %v", err)
	}
	c.t = c.t.Add(16 * time.Minute)
	if err := s.LoginAllowed(ctx, "alice@example.org", "192.0.2.7"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestTokensAndLease(t *testing.T) {
	ctx := context.Background()
	s, _, c := openTest(t)
	s.SetPassword(ctx, "alice@example.org", "correct horse battery")
	tok, err := s.NewToken(ctx, "alice@example.org", "digest", c.t.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if l, err := s.Token(ctx, tok, "digest"); err != nil || l != "alice@example.org" {
		t.Fatalf("token: %q %v", l, err)
	}
	if _, err := s.Token(ctx, tok, "other"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("token used for another purpose: %v", err)
	}
	c.t = c.t.Add(2 * time.Hour)
	if _, err := s.Token(ctx, tok, "digest"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("expired token: %v", err)
	}
	tok2, _ := s.NewToken(ctx, "alice@example.org", "digest", c.t.Add(time.Hour))
	s.SetPassword(ctx, "alice@example.org", "a new long password")
	if _, err := s.Token(ctx, tok2, "digest"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("token after password change: %v", err)
	}
	if ok, _ := s.Lease(ctx, "digest", "gw1", time.Minute); !ok {
		t.Fatal("gw1 lease")
	}
	if ok, _ := s.Lease(ctx, "digest", "gw2", time.Minute); ok {
		t.Fatal("gw2 took a live lease")
	}
	if ok, _ := s.Lease(ctx, "digest", "gw1", time.Minute); !ok {
		t.Fatal("gw1 renew")
	}
	c.t = c.t.Add(2 * time.Minute)
	if ok, _ := s.Lease(ctx, "digest", "gw2", time.Minute); !ok {
		t.Fatal("gw2 after expiry")
	}
}

// FuzzSessionID feeds cookie values to the session look-up: never a
// panic, and nothing but a real session id is accepted.
func FuzzSessionID(f *testing.F) {
	ctx := context.Background()
	s, _, _ := openTest(f)
	sess, _ := s.NewSession(ctx, "x", StageFull, "")
	f.Add(sess.ID)
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add("%00")
	f.Fuzz(func(t *testing.T, id string) {
		got, err := s.Session(ctx, id, SessionLimits{Idle: time.Hour, Max: time.Hour})
		if err == nil && id != sess.ID {
			t.Fatalf("accepted %q as session %v", id, got)
		}
		s.Token(ctx, id, "digest")
	})
}

func TestRemoveDomainAndLogin(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	for _, l := range []string{"bob@a.test", "bob@xa.test", "boss@b.test", "bob@a_test"} {
		s.SetPassword(ctx, l, "correct horse battery")
	}
	s.AddRole(ctx, "boss@b.test", RoleDomainAdmin, "a.test")
	s.AddRole(ctx, "boss@b.test", RoleDomainAdmin, "b.test")
	s.SetDomainTOTP(ctx, "a.test", true)
	if err := s.RemoveDomain(ctx, "A.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPassword(ctx, "bob@a.test", "correct horse battery"); !errors.Is(err, ErrBadLogin) {
		t.Errorf("login of the removed domain: %v", err)
	}
	for _, l := range []string{"bob@xa.test", "bob@a_test", "boss@b.test"} {
		if err := s.CheckPassword(ctx, l, "correct horse battery"); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	p, _ := s.Principal(ctx, "boss@b.test")
	if p.Administers("a.test") || !p.Administers("b.test") {
		t.Errorf("boss's domains after removing a.test: %v", p.Domains)
	}
	if req, _ := s.DomainTOTP(ctx, "a.test"); req {
		t.Error("the removed domain still requires 2FA")
	}
	s.RemoveLogin(ctx, "boss@b.test")
	if _, err := s.Principal(ctx, "boss@b.test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed login: %v", err)
	}
}
