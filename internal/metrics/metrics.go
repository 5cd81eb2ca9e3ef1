// Package metrics defines mailtower's Prometheus metrics: messages by
// verdict and action, scanner latency and errors, policy decisions, the
// sizes of the greylist and the quarantine, and build information.
//
// There is no global registry: cli creates a prometheus.Registry, passes it
// to New and hands the resulting *Metrics to the components. Every method
// is safe on a nil *Metrics, so a component built without metrics (tests,
// one-shot commands) needs no special case.
package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every mailtower metric.
const Namespace = "mailtower"

// Build describes the running binary (the build_info metric).
type Build struct {
	Version, Commit, GoVersion string
}

// Metrics holds the collectors; create it with New.
type Metrics struct {
	gatherer prometheus.Gatherer
	reg      prometheus.Registerer
	messages *prometheus.CounterVec
	scanSecs *prometheus.HistogramVec
	scanErrs *prometheus.CounterVec
	policy   *prometheus.CounterVec
	notices  notices
	robust   robust
	// unreadable counts stored quarantine values that could not be decoded.
	unreadable *prometheus.CounterVec
	mirror     mirrorWrites
	outbound   outbound
	now        func() time.Time // clock for the size cache
}

// New registers mailtower's collectors, the Go runtime and process
// collectors and build_info on reg.
func New(reg *prometheus.Registry, b Build) (*Metrics, error) {
	m := &Metrics{
		gatherer: reg,
		now:      time.Now,
		reg:      reg,
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "messages_total",
			Help: "Recipient decisions made by the milter, by verdict (clean, spam, content, virus) and action (pass, tag, quarantine, delete)."},
			[]string{"verdict", "action"}),
		// Buckets from 5 ms (built-in engines) to 2 min (the default
		// [milter] timeout): clamd on a large archive takes seconds.
		scanSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "scanner_duration_seconds",
			Help:    "Time one scanner took for one message.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}},
			[]string{"scanner"}),
		scanErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "scanner_errors_total",
			Help: "Scanner runs that failed (unreachable, timeout, protocol error); each one tempfails the message unless on_error = skip."},
			[]string{"scanner"}),
		policy: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "policy_decisions_total",
			Help: "Policy daemon answers to Postfix, by action (DUNNO, OK, REJECT, DEFER_IF_PERMIT, 4xx, 5xx, ...)."},
			[]string{"action"}),
		notices:    newNotices(),
		robust:     newRobust(),
		unreadable: newUnreadable(),
		mirror:     newMirrorWrites(),
		outbound:   newOutbound(),
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels say which build is running."}, []string{"version", "commit", "goversion"})
	info.WithLabelValues(b.Version, b.Commit, b.GoVersion).Set(1)
	for _, c := range append([]prometheus.Collector{m.messages, m.scanSecs, m.scanErrs, m.policy, m.unreadable, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}, append(append(m.notices.collectors(), m.robust.collectors()...), append(m.mirror.collectors(), m.outbound.collectors()...)...)...) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the registry in the Prometheus text format. A collector
// that fails (say, the database is locked) is reported in the response
// while the other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Message counts one recipient decision (milter.Runtime.Count).
func (m *Metrics) Message(verdict, action string) {
	if m == nil {
		return
	}
	m.messages.WithLabelValues(verdict, action).Inc()
}

// ScannerRun records one engine run (scan.Observer, milter.Runtime.Observe).
func (m *Metrics) ScannerRun(scanner string, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.scanSecs.WithLabelValues(scanner).Observe(d.Seconds())
	if err != nil {
		m.scanErrs.WithLabelValues(scanner).Inc()
	}
}

// PolicyDecision counts one answer of the policy daemon. action is the
// Postfix action text as sent ("DUNNO", "DEFER_IF_PERMIT Greylisted ...",
// "450 4.7.1 ..."); only its first word is kept, and numeric codes are
// reduced to their class ("4xx", "5xx"), so the label set stays small
// whatever text follows.
func (m *Metrics) PolicyDecision(action string) {
	if m == nil {
		return
	}
	m.policy.WithLabelValues(PolicyAction(action)).Inc()
}

// postfixActions are the access(5) actions a policy server may answer.
var postfixActions = map[string]bool{
	"OK": true, "DUNNO": true, "REJECT": true, "DEFER": true, "DEFER_IF_PERMIT": true,
	"DEFER_IF_REJECT": true, "DISCARD": true, "HOLD": true, "PREPEND": true, "REDIRECT": true,
	"FILTER": true, "WARN": true, "INFO": true, "BCC": true, "PERMIT": true,
	// A restriction name as action: the callout (smtpreply.VerifyRecipient).
	"REJECT_UNVERIFIED_RECIPIENT": true,
}

// PolicyAction reduces a Postfix policy action to its metric label.
func PolicyAction(action string) string {
	word, _, _ := strings.Cut(strings.TrimSpace(action), " ")
	word = strings.ToUpper(word)
	switch {
	case postfixActions[word]:
		return word
	case len(word) == 3 && (word[0] == '4' || word[0] == '5') && isDigits(word):
		return word[:1] + "xx"
	case word == "":
		return "empty"
	}
	return "other"
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
