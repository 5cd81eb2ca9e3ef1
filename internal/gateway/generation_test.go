package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// TestRulesEngineReadsGenerationThroughCache: the content filter learns
// of changed rules from the settings generation as the front-ends read
// it, at most once per generationTTL (the cache policy), not with a
// database query per message (a tenth of the milter's CPU on small
// mail). So a rule added right after a message is applied from the
// next read of the generation on.
func TestRulesEngineReadsGenerationThroughCache(t *testing.T) {
	cfg := config.Default()
	a := testApp(t, cfg)
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return clock }
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
	clock = clock.Add(generationTTL)
	if !caught() {
		t.Errorf("the new rule not applied %s after it was added", generationTTL)
	}
}
