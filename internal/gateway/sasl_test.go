package gateway

import (
	"context"
	"errors"
	"testing"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/saslauth"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/web/account"
)

// SMTP logins are mailtower users with the password `user passwd` set
// (the portal's argon2id hash); admin logins and unknown users cannot send.
func TestUsersVerify(t *testing.T) {
	ctx := context.Background()
	a := testApp(t, config.Default())
	acc, err := account.Open(ctx, a.DB)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Settings.AddDomain(ctx, settings.Domain{Name: "example.com", Relay: "mx.example.com"}))
	must(a.Settings.AddUser(ctx, settings.User{Address: "bob@example.com", Domain: "example.com"}))
	must(a.Settings.AddUser(ctx, settings.User{Address: "nopass@example.com", Domain: "example.com"}))
	must(acc.SetPassword(ctx, "bob@example.com", "correct horse battery"))
	must(acc.SetPassword(ctx, "root-admin", "correct horse battery"))
	u := Users{Accounts: acc, Settings: a.Settings}
	for _, tc := range []struct {
		login, password, want string
		err                   error
	}{
		{"bob@example.com", "correct horse battery", "bob@example.com", nil},
		{"Bob@EXAMPLE.com", "correct horse battery", "bob@example.com", nil},
		{"bob@example.com", "wrong", "", saslauth.ErrBadLogin},
		{"nopass@example.com", "", "", saslauth.ErrBadLogin},
		{"nobody@example.com", "correct horse battery", "", saslauth.ErrBadLogin},
		{"root-admin", "correct horse battery", "", saslauth.ErrBadLogin},
	} {
		got, err := u.Verify(ctx, tc.login, tc.password)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s/%s: got %q, %v; want %q, %v", tc.login, tc.password, got, err, tc.want, tc.err)
		}
	}
}
