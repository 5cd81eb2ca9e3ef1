package metrics

import "github.com/prometheus/client_golang/prometheus"

// Digests counts the portal's quarantine digest runs (web.Digester).
type Digests struct {
	runs *prometheus.CounterVec
	sent prometheus.Counter
}

// NewDigests registers the digest counters; nil Metrics gives a nil
// *Digests, whose methods do nothing.
func (m *Metrics) NewDigests() (*Digests, error) {
	if m == nil {
		return nil, nil
	}
	d := &Digests{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "digest_runs_total",
			Help: "Quarantine digest runs by result (ok, failed: some digest could not be built or sent; it is retried at the next run)."},
			[]string{"result"}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "digests_sent_total",
			Help: "Quarantine digest mails handed to Postfix."}),
	}
	for _, c := range []prometheus.Collector{d.runs, d.sent} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	d.runs.WithLabelValues("failed")
	return d, nil
}

// Run counts one digest run that sent n digests; err marks it failed.
func (d *Digests) Run(n int, err error) {
	if d == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	d.runs.WithLabelValues(result).Inc()
	d.sent.Add(float64(n))
}
