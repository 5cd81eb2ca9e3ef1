package metrics

import (
	"strings"
	"testing"
)

func TestOutboundCounters(t *testing.T) {
	m, _ := newTest(t)
	m.OutboundVerdict("spam", "quarantine")
	m.OutboundVerdict("clean", "pass")
	m.OutboundVerdict("clean", "pass")
	m.SendLimited("held_spam")
	out := scrape(t, m)
	for _, want := range []string{`mailtower_outbound_verdicts_total{action="quarantine",verdict="spam"} 1`,
		`mailtower_outbound_verdicts_total{action="pass",verdict="clean"} 2`,
		`mailtower_sasl_send_limited_total{limit="held_spam"} 1`,
		`mailtower_sasl_send_limited_total{limit="messages_per_hour"} 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	var nilM *Metrics
	nilM.OutboundVerdict("spam", "quarantine") // must not panic
	nilM.SendLimited("held_spam")
}
