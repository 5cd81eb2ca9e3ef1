package policyd

import (
	"context"
	"strconv"
	"testing"

	"github.com/mailtower/mailtower/internal/policytest"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/settings/settingstest"
)

// TestSharedPolicyCases runs the cases both front-ends share
// (internal/policytest) through the policy daemon: a RCPT request gets
// the table's action, for the table's reason. milter/adapters_test.go
// runs the same cases through the milter.
func TestSharedPolicyCases(t *testing.T) {
	ctx := context.Background()
	d := seededDecider(t, nil)
	for _, c := range policytest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			dec, err := d.Decide(ctx, rcpt(c.Client, c.Sender, c.Recipient, "size", strconv.FormatInt(c.Size, 10),
				"sasl_username", c.AuthUser))
			if err != nil {
				t.Fatal(err)
			}
			if !policytest.MatchAction(dec.Action, c.Policyd) || dec.Reason != c.Reason {
				t.Errorf("policyd answers %q (%s), want %q (%s)", dec.Action, dec.Reason, c.Policyd, c.Reason)
			}
		})
	}
}

// seededDecider is a Decider over the shared cases' settings
// (policytest.Seed), with sends as its sending limit.
func seededDecider(t *testing.T, sends *SendLimiter) *Decider {
	t.Helper()
	st, _ := settingstest.Open(t)
	aliases := policytest.Seed(t, st)
	res, err := settings.NewResolver(st, st, settings.Policy{MaxSize: 25_000_000}, 100)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecider(DeciderConfig{Resolver: res, Aliases: aliases, Relay: settings.NewRelayIndex(st, nil),
		Generation: NewGeneration(st.Generation, 0, nil), Logger: quiet, Sends: sends})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
