package metrics

import "github.com/prometheus/client_golang/prometheus"

// newUnreadable is the counter of stored values the quarantine could not
// decode (quarantine.Events).
func newUnreadable() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "quarantine_unreadable_total",
		Help: "Stored quarantine values that could not be decoded when read, by what (findings); the message is shown " +
			"with an unreadable marker, details in the log."},
		[]string{"what"})
}

// QuarantineUnreadable counts a stored quarantine value that could not be
// decoded (quarantine.Events).
func (m *Metrics) QuarantineUnreadable(what string) {
	if m == nil {
		return
	}
	m.unreadable.WithLabelValues(what).Inc()
}
