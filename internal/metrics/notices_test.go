package metrics

import (
	"strings"
	"testing"
)

func TestNoticeCounters(t *testing.T) {
	m, _ := newTest(t)
	m.NoticeSuppressed("address_limit")
	m.NoticeSuppressed("address_limit")
	m.NoticeFailed("undecodable")
	out := scrape(t, m)
	for _, want := range []string{`mailtower_virus_notices_suppressed_total{reason="address_limit"} 2`,
		`mailtower_virus_notices_failed_total{reason="undecodable"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	var nilM *Metrics
	nilM.NoticeSuppressed("global_limit") // must not panic
	nilM.NoticeFailed("given_up")
}

func TestQuarantineUnreadableCounter(t *testing.T) {
	m, _ := newTest(t)
	m.QuarantineUnreadable("findings")
	if out := scrape(t, m); !strings.Contains(out, `mailtower_quarantine_unreadable_total{what="findings"} 1`) {
		t.Errorf("scrape lacks the unreadable counter:\n%s", out)
	}
	var nilM *Metrics
	nilM.QuarantineUnreadable("findings") // must not panic
}
