package metrics

import (
	"strings"
	"testing"
)

func TestRobustCounters(t *testing.T) {
	m, _ := newTest(t)
	m.Panic("milter")
	m.Panic("policy")
	m.Panic("policy")
	m.ScanRefused()
	m.ScanWaiting(+1)
	m.ScanWaiting(+1)
	m.ScanWaiting(-1)
	out := scrape(t, m)
	for _, want := range []string{
		`mailtower_panics_total{component="milter"} 1`,
		`mailtower_panics_total{component="policy"} 2`,
		`mailtower_milter_busy_total 1`,
		`mailtower_milter_scans_waiting 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	var nilM *Metrics
	nilM.Panic("x")
	nilM.ScanRefused()
	nilM.ScanWaiting(1)
}
