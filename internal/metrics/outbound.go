package metrics

import "github.com/prometheus/client_golang/prometheus"

// outbound counts what happens to authenticated users' outbound mail
// (docs/submission.md): verdicts and the sending limits' refusals.
type outbound struct {
	verdicts *prometheus.CounterVec
	limited  *prometheus.CounterVec
}

func newOutbound() outbound {
	o := outbound{
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "outbound_verdicts_total",
			Help: "Copies of authenticated users' mail to recipients outside the served domains, by verdict (clean, spam, virus, content) " +
				"and action (pass; quarantine: spam held or virus kept; delete)."},
			[]string{"verdict", "action"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sasl_send_limited_total",
			Help: "Recipients of authenticated users deferred with 450 4.7.1 by a sending limit " +
				"(messages_per_hour: the user's rate; held_spam: too many of its messages held as spam)."},
			[]string{"limit"}),
	}
	o.verdicts.WithLabelValues("spam", "quarantine")
	o.verdicts.WithLabelValues("clean", "pass")
	o.limited.WithLabelValues("messages_per_hour")
	o.limited.WithLabelValues("held_spam")
	return o
}

func (o outbound) collectors() []prometheus.Collector {
	return []prometheus.Collector{o.verdicts, o.limited}
}

// OutboundVerdict counts one outbound copy of an authenticated user's
// message by verdict and action (milter.OutboundWatcher).
func (m *Metrics) OutboundVerdict(verdict, action string) {
	if m == nil {
		return
	}
	m.outbound.verdicts.WithLabelValues(verdict, action).Inc()
}

// SendLimited counts one recipient deferred by a sending limit of
// authenticated users: "messages_per_hour" or "held_spam".
func (m *Metrics) SendLimited(limit string) {
	if m == nil {
		return
	}
	m.outbound.limited.WithLabelValues(limit).Inc()
}
