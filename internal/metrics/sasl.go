package metrics

import "github.com/prometheus/client_golang/prometheus"

// SASL counts the logins of the authentication server (saslauth.Events).
type SASL struct {
	logins  *prometheus.CounterVec
	limited *prometheus.CounterVec
}

// NewSASL registers the login counters; nil Metrics gives a nil *SASL,
// whose methods do nothing.
func (m *Metrics) NewSASL() (*SASL, error) {
	if m == nil {
		return nil, nil
	}
	s := &SASL{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sasl_logins_total",
			Help: "SMTP logins checked for Postfix's submission ports, by mechanism (PLAIN, LOGIN) and result " +
				"(ok; failed: wrong login or password or bad data; refused: too many failures; tempfail: could not check, 454)."},
			[]string{"mechanism", "result"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sasl_rate_limited_total",
			Help: "Login attempts delayed or refused because of earlier failures, by scope (net: the client's /24 or /64; user)."},
			[]string{"scope"}),
	}
	for _, c := range []prometheus.Collector{s.logins, s.limited} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		for _, r := range []string{"ok", "failed"} {
			s.logins.WithLabelValues(mech, r)
		}
	}
	return s, nil
}

// Login counts one finished login attempt.
func (s *SASL) Login(mech, result string) {
	if s == nil {
		return
	}
	s.logins.WithLabelValues(mech, result).Inc()
}

// Limited counts one attempt slowed or refused by a failure limit.
func (s *SASL) Limited(scope string) {
	if s == nil {
		return
	}
	s.limited.WithLabelValues(scope).Inc()
}
