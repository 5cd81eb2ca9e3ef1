package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Size is a gauge whose values are read from the database when Prometheus
// scrapes, for example the quarantine by category. Read returns one value
// per label value; with Label empty it returns a single value under "".
type Size struct {
	Name, Help, Label string
	Read              func(ctx context.Context) (map[string]int64, error)
}

// AddSizes registers gauges read on scrape. Each result is cached for ttl,
// so that frequent scrapes (or several Prometheus servers) cost one cheap
// COUNT per gauge per ttl; a read is bounded by timeout. A failed read is
// counted in mailtower_size_read_errors_total and the gauge is left out of
// that scrape rather than reported as 0.
func (m *Metrics) AddSizes(ttl, timeout time.Duration, sizes ...Size) error {
	if m == nil {
		return nil
	}
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "size_read_errors_total",
		Help: "Failed database reads for a size gauge."}, []string{"gauge"})
	if err := m.reg.Register(errs); err != nil {
		return err
	}
	for _, s := range sizes {
		c := &sizeCollector{s: s, ttl: ttl, timeout: timeout, errs: errs, now: m.now}
		var labels []string
		if s.Label != "" {
			labels = []string{s.Label}
		}
		c.desc = prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", s.Name), s.Help, labels, nil)
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// sizeCollector is one Size with its cache.
type sizeCollector struct {
	s       Size
	desc    *prometheus.Desc
	ttl     time.Duration
	timeout time.Duration
	errs    *prometheus.CounterVec
	now     func() time.Time

	mu     sync.Mutex
	at     time.Time
	values map[string]int64
}

func (c *sizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *sizeCollector) Collect(ch chan<- prometheus.Metric) {
	values, ok := c.read()
	if !ok {
		return
	}
	for label, v := range values {
		var lv []string
		if c.s.Label != "" {
			lv = []string{label}
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(v), lv...)
	}
}

// read returns the cached values, refreshing them when older than ttl.
func (c *sizeCollector) read() (map[string]int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.values != nil && now.Sub(c.at) < c.ttl {
		return c.values, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	v, err := c.s.Read(ctx)
	if err != nil {
		c.errs.WithLabelValues(c.s.Name).Inc()
		return nil, false
	}
	c.values, c.at = v, now
	return v, true
}
