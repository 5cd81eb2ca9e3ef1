package gateway

import (
	"context"
	"fmt"
	"testing"

	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/scan"
)

type namedScanner string

func (n namedScanner) Name() string { return string(n) }
func (namedScanner) Scan(context.Context, *scan.Message) ([]scan.Finding, error) {
	return nil, nil
}

// TestOutboundEngines: authenticated outbound mail gets every engine but
// the content filter, and no spam engines with outbound_spam_level 0.
func TestOutboundEngines(t *testing.T) {
	var inbound []scan.Engine
	for _, n := range []string{"clamd", "spamd", "rules", "bayes", "heuristics"} {
		inbound = append(inbound, scan.Engine{Scanner: namedScanner(n)})
	}
	cfg := config.Default()
	var got []string
	for _, e := range OutboundEngines(cfg, inbound) {
		got = append(got, e.Scanner.Name())
	}
	if want := "[clamd spamd bayes heuristics]"; fmt.Sprint(got) != want {
		t.Errorf("outbound engines %v, want %s", got, want)
	}
	cfg.SASL.OutboundSpamLevel = 0
	if e := OutboundEngines(cfg, inbound); e != nil {
		t.Errorf("level 0: %d engines, want nil (virus engines only)", len(e))
	}
}
