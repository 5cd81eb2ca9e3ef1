package metrics

import (
	"strings"
	"testing"
)

func TestSASLCounters(t *testing.T) {
	m, _ := newTest(t)
	s, err := m.NewSASL()
	if err != nil {
		t.Fatal(err)
	}
	s.Login("PLAIN", "ok")
	s.Login("LOGIN", "failed")
	s.Login("LOGIN", "failed")
	s.Limited("net")
	out := scrape(t, m)
	for _, want := range []string{`mailtower_sasl_logins_total{mechanism="PLAIN",result="ok"} 1`,
		`mailtower_sasl_logins_total{mechanism="LOGIN",result="failed"} 2`,
		`mailtower_sasl_logins_total{mechanism="PLAIN",result="failed"} 0`,
		`mailtower_sasl_rate_limited_total{scope="net"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	var nilM *Metrics
	ns, _ := nilM.NewSASL()
	ns.Login("PLAIN", "ok") // must not panic
	ns.Limited("user")
}
