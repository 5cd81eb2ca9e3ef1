package metrics

import "github.com/prometheus/client_golang/prometheus"

// notices are the virus-notice counters (notify.Events).
type notices struct {
	suppressed *prometheus.CounterVec
	failed     *prometheus.CounterVec
}

func newNotices() notices {
	return notices{
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "virus_notices_suppressed_total",
			Help: "Notices not queued because a rate limit was reached, by reason (address_limit, global_limit: virus notices; user_limit: outbound spam alerts, one per user per hour)."},
			[]string{"reason"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "virus_notices_failed_total",
			Help: "Queued virus notices moved to the notices_failed table unsent, by reason (undecodable, given_up)."},
			[]string{"reason"}),
	}
}

func (n notices) collectors() []prometheus.Collector {
	return []prometheus.Collector{n.suppressed, n.failed}
}

// NoticeSuppressed counts a virus notice dropped by a rate limit (notify.Events).
func (m *Metrics) NoticeSuppressed(reason string) {
	if m == nil {
		return
	}
	m.notices.suppressed.WithLabelValues(reason).Inc()
}

// NoticeFailed counts a queued virus notice moved aside unsent (notify.Events).
func (m *Metrics) NoticeFailed(reason string) {
	if m == nil {
		return
	}
	m.notices.failed.WithLabelValues(reason).Inc()
}
