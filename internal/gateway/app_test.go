package gateway

import (
	"context"
	"log/slog"
	"testing"

	"github.com/mailtower/mailtower/policy"
)

// The milter and the policy daemon share one settings resolver, and a
// reload's [defaults] reach it.
func TestOneResolverForBothFrontEnds(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, testConfig(t))
	res, gen, err := a.Resolver()
	if err != nil || res == nil || gen == nil {
		t.Fatalf("resolver %v, generation %v: %v", res, gen, err)
	}
	rt, err := milterRuntime(ctx, a, a.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Policy.Resolver() != policy.Resolver(res) {
		t.Error("the milter built a resolver of its own")
	}
	cfg := *a.Config
	cfg.Defaults.SpamLevel = 5
	a.setConfig(&cfg)
	r, err := res.Resolve(ctx, "someone@unknown.test")
	if err != nil || r.SpamLevel != 5 {
		t.Errorf("after reload: spam level %d, %v; want 5", r.SpamLevel, err)
	}
	if again, _, _ := a.Resolver(); again != res {
		t.Error("Resolver built a second resolver")
	}
}
