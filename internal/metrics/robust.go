package metrics

import "github.com/prometheus/client_golang/prometheus"

// robust holds the counters of the daemon's self-protection: recovered
// panics and sessions refused by the concurrent-scan bound.
type robust struct {
	panics  *prometheus.CounterVec
	refused prometheus.Counter
	waiting prometheus.Gauge
}

func newRobust() robust {
	return robust{
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "panics_total",
			Help: "Panics recovered in one milter session or one policy/socketmap connection, by component " +
				"(milter, policy, socketmap); each one answered a temporary failure."},
			[]string{"component"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "milter_busy_total",
			Help: "Messages tempfailed (451) because [milter] max_scans scans were running and no slot freed within max_scan_wait."}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "milter_scans_waiting",
			Help: "Messages waiting for a scan slot ([milter] max_scans) right now."}),
	}
}

func (r robust) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.panics, r.refused, r.waiting}
}

// Panic counts one recovered panic of a component (milter, policy,
// socketmap).
func (m *Metrics) Panic(component string) {
	if m == nil {
		return
	}
	m.robust.panics.WithLabelValues(component).Inc()
}

// ScanRefused counts one message tempfailed because every scan slot was
// taken.
func (m *Metrics) ScanRefused() {
	if m == nil {
		return
	}
	m.robust.refused.Inc()
}

// ScanWaiting adds delta (+1 or -1) to the number of messages waiting for
// a scan slot.
func (m *Metrics) ScanWaiting(delta int) {
	if m == nil {
		return
	}
	m.robust.waiting.Add(float64(delta))
}
