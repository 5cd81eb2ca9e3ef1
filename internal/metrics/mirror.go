package metrics

import "github.com/prometheus/client_golang/prometheus"

// mirrorWrites counts the mirror's writes (package mirror) by result.
type mirrorWrites struct {
	writes *prometheus.CounterVec
}

func newMirrorWrites() mirrorWrites {
	w := mirrorWrites{writes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "mirror_writes_total",
		Help: "Encrypted mirror copies written by the milter, by result (ok, failed: the message was delivered without its mirror copy)."},
		[]string{"result"})}
	w.writes.WithLabelValues("failed")
	return w
}

func (w mirrorWrites) collectors() []prometheus.Collector { return []prometheus.Collector{w.writes} }

// Mirrored counts one mirror write (milter.Runtime.Mirrored); err marks
// it failed.
func (m *Metrics) Mirrored(err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.mirror.writes.WithLabelValues(result).Inc()
}
