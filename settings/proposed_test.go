package settings_test

import (
	"context"
	"testing"

	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/settings/settingstest"
)

// Proposed changes one domain's or one user's overrides for reading;
// the user's own settings still win over a proposed domain change.
func TestProposed(t *testing.T) {
	ctx := context.Background()
	st, _ := settingstest.Open(t)
	tag := settings.ActionTag
	if err := st.AddDomain(ctx, settings.Domain{Name: "a.example", Relay: "mx.a.example"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddUser(ctx, settings.User{Address: "own@a.example", Domain: "a.example",
		Overrides: settings.Overrides{SpamAction: &tag}}); err != nil {
		t.Fatal(err)
	}
	del := settings.ActionDelete
	change := func(o *settings.Overrides) { o.SpamAction = &del }
	base := settings.Policy{SpamLevel: 3, SpamAction: settings.ActionQuarantine}
	for _, c := range []struct {
		p    settings.Proposed
		rcpt string
		want settings.Action
	}{
		{settings.Proposed{Store: st, DomainName: "a.example", Change: change}, "x@a.example", del},
		{settings.Proposed{Store: st, DomainName: "a.example", Change: change}, "own@a.example", tag},
		{settings.Proposed{Store: st, UserAddress: "x@a.example", Change: change}, "x@a.example", del},
		{settings.Proposed{Store: st, UserAddress: "x@a.example", Change: change}, "y@a.example", settings.ActionQuarantine},
	} {
		r, err := settings.NewResolver(c.p, nil, base, 10)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Resolve(ctx, c.rcpt)
		if err != nil || res.SpamAction != c.want {
			t.Errorf("%+v %s: %s %v, want %s", c.p.DomainName+c.p.UserAddress, c.rcpt, res.SpamAction, err, c.want)
		}
	}
	// Nothing was written.
	if d, _ := st.Domain(ctx, "a.example"); d.Overrides.SpamAction != nil {
		t.Fatal("the proposal changed the stored domain")
	}
}
