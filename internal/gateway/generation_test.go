package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// TestRulesEngineReadsGenerationThroughCache: the content filter learns
// of changed rules from the settings generation as the front-ends read
// it, at most once per generationTTL (the cache policy), not with a
// database query per message (about a tenth of serve's CPU in the corpus
// load run). So a rule added right after a message is applied from the
// next read of the generation on.
func TestRulesEngineReadsGenerationThroughCache(t *testing.T) {
	cfg := config.Default()
	a, clock := clockedApp(t, cfg)
	ctx := context.Background()
	inbound, _, err := BuildEngines(ctx, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rules scan.Scanner
	for _, e := range inbound {
		if e.Scanner.Name() == "rules" {
			rules = e.Scanner
		}
	}
	raw := "From: s@example.net\r\nTo: a@example.com\r\nSubject: hi\r\n\r\ncasino bonus\r\n"
	caught := func() bool {
		msg := scan.NewMessage(scan.Envelope{Sender: "s@example.net", Recipients: []string{"a@example.com"}},
			strings.NewReader(raw), int64(len(raw)))
		fs, err := rules.Scan(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		return len(fs) > 0
	}
	if caught() {
		t.Fatal("caught before any rule")
	}
	sc, err := settings.ParseScope("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Settings.AddRule(ctx, settings.Rule{Scope: sc, Kind: settings.BlockContent, Value: "casino"}); err != nil {
		t.Fatal(err)
	}
	if caught() {
		t.Error("the new rule applied at once: the generation was read from the database, not through the cache")
	}
	*clock = clock.Add(generationTTL)
	if !caught() {
		t.Errorf("the new rule not applied %s after it was added", generationTTL)
	}
}

// TestMilterPolicyCachesAliases: the milter's policy core asks the
// alias table through the policy daemon's cache (emptied when the cached
// settings generation changes), not with a query per recipient of every
// message. So an alias added right after a decision counts from the
// next read of the generation on.
func TestMilterPolicyCachesAliases(t *testing.T) {
	cfg := config.Default()
	a, clock := clockedApp(t, cfg)
	ctx := context.Background()
	if err := a.Settings.AddDomain(ctx, settings.Domain{Name: "a.example", Relay: "[192.0.2.9]"}); err != nil {
		t.Fatal(err)
	}
	res, gen, err := a.Resolver()
	if err != nil {
		t.Fatal(err)
	}
	core, err := milterPolicy(a, res, gen)
	if err != nil {
		t.Fatal(err)
	}
	reason := func() string {
		d, err := core.Decide(ctx, policy.Request{Sender: "s@example.net", Recipient: "list@a.example"})
		if err != nil {
			t.Fatal(err)
		}
		return d.Reason
	}
	if r := reason(); r != "unknown-user" {
		t.Fatalf("before the alias: %s, want unknown-user", r)
	}
	if err := a.Settings.Aliases().Add(ctx, settings.Alias{Address: "list@a.example"}); err != nil {
		t.Fatal(err)
	}
	if r := reason(); r != "unknown-user" {
		t.Errorf("the new alias counted at once (%s): the alias table was queried, not the cache", r)
	}
	*clock = clock.Add(generationTTL)
	if r := reason(); r != "pass" {
		t.Errorf("%s after the alias was added: %s, want pass", generationTTL, r)
	}
}

// clockedApp is a test App whose generation cache reads the returned clock.
func clockedApp(t *testing.T, cfg *config.Config) (*App, *time.Time) {
	a := testApp(t, cfg)
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return clock }
	return a, &clock
}
