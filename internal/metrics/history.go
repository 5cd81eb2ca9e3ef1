package metrics

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// maxRelays bounds the relay label's values: customer servers are few,
// but outbound mail reaches any server on the Internet.
const maxRelays = 500

// History counts the mail history's lost rows and the delivery attempts
// its log follower read, by status and relay: a customer's server that
// is down shows as deferred deliveries to it before the customer calls.
type History struct {
	lost       *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	lines      prometheus.Counter

	mu     sync.Mutex
	relays map[string]bool
}

// NewHistory registers the history counters; nil Metrics gives a nil
// *History, whose methods do nothing.
func (m *Metrics) NewHistory() (*History, error) {
	if m == nil {
		return nil, nil
	}
	h := &History{
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "history_rows_lost_total",
			Help: "Mail history rows not written, by reason (queue_full: the writer fell behind; write_failed: the database refused the batch). Mail is not affected."},
			[]string{"reason"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "deliveries_total",
			Help: "Delivery attempts read from Postfix's log, by status (sent, deferred, bounced, expired) and relay (the next hop's host name; other past 500 names)."},
			[]string{"status", "relay"}),
		lines: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "history_log_lines_total",
			Help: "Lines of Postfix's log the history follower read."}),
		relays: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{h.lost, h.deliveries, h.lines} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	h.lost.WithLabelValues("queue_full")
	h.lost.WithLabelValues("write_failed")
	return h, nil
}

// Lost counts n history rows not written.
func (h *History) Lost(reason string, n int) {
	if h != nil {
		h.lost.WithLabelValues(reason).Add(float64(n))
	}
}

// Lines counts log lines read.
func (h *History) Lines(n int) {
	if h != nil {
		h.lines.Add(float64(n))
	}
}

// Delivery counts one delivery attempt to relay (Postfix's relay= field,
// or its reason text when relay is none).
func (h *History) Delivery(status, relay, reply string) {
	if h == nil {
		return
	}
	host := RelayHost(relay, reply)
	h.mu.Lock()
	if !h.relays[host] {
		if len(h.relays) >= maxRelays {
			host = "other"
		} else {
			h.relays[host] = true
		}
	}
	h.mu.Unlock()
	h.deliveries.WithLabelValues(status, host).Inc()
}

// RelayHost is the next hop's name in Postfix's relay= field
// ("mx.example[192.0.2.1]:25" -> "mx.example"); for relay=none it is taken
// from the reason ("connect to mx.example[192.0.2.1]:25: Connection
// refused"), else "none".
func RelayHost(relay, reply string) string {
	if relay == "" || relay == "none" {
		_, rest, ok := strings.Cut(reply, "connect to ")
		if !ok {
			return "none"
		}
		relay = rest
	}
	if i := strings.IndexAny(relay, "[:"); i > 0 {
		relay = relay[:i]
	}
	return strings.ToLower(relay)
}
