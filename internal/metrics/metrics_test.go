package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newTest(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg, Build{Version: "v1.2.3", Commit: "abc", GoVersion: "go1.26"})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestPolicyAction(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"DUNNO", "DUNNO"},
		{"dunno", "DUNNO"},
		{"DEFER_IF_PERMIT Greylisted, try again in 30s", "DEFER_IF_PERMIT"},
		{"450 4.7.1 Greylisted", "4xx"},
		{"554 5.7.1 Blocked", "5xx"},
		{"REJECT unknown user", "REJECT"},
		{"  OK  ", "OK"},
		{"", "empty"},
		{"200 fine", "other"},
		{"45x nope", "other"},
		{"something-made-up", "other"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := PolicyAction(tc.in); got != tc.want {
				t.Errorf("PolicyAction(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCountersMove(t *testing.T) {
	m, _ := newTest(t)
	m.Message("spam", "quarantine")
	m.Message("spam", "quarantine")
	m.Message("clean", "pass")
	m.ScannerRun("clamd", 30*time.Millisecond, nil)
	m.ScannerRun("clamd", 2*time.Second, errors.New("connection refused"))
	m.PolicyDecision("DEFER_IF_PERMIT Greylisted")
	m.PolicyDecision("DUNNO")

	for _, tc := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.messages.WithLabelValues("spam", "quarantine"), 2},
		{m.messages.WithLabelValues("clean", "pass"), 1},
		{m.scanErrs.WithLabelValues("clamd"), 1},
		{m.policy.WithLabelValues("DEFER_IF_PERMIT"), 1},
		{m.policy.WithLabelValues("DUNNO"), 1},
	} {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("%v = %v, want %v", tc.c, got, tc.want)
		}
	}
	out := scrape(t, m)
	for _, want := range []string{
		`mailtower_messages_total{action="quarantine",verdict="spam"} 2`,
		`mailtower_scanner_duration_seconds_count{scanner="clamd"} 2`,
		`mailtower_scanner_duration_seconds_bucket{scanner="clamd",le="0.05"} 1`,
		`mailtower_scanner_errors_total{scanner="clamd"} 1`,
		`mailtower_build_info{commit="abc",goversion="go1.26",version="v1.2.3"} 1`,
		`go_goroutines`, `process_open_fds`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestNilIsSafe(t *testing.T) {
	var m *Metrics
	m.Message("clean", "pass")
	m.ScannerRun("spamd", time.Second, nil)
	m.PolicyDecision("OK")
	if err := m.AddSizes(time.Second, time.Second, Size{Name: "x"}); err != nil {
		t.Fatal(err)
	}
}

func TestSizesCachedAndErrorsCounted(t *testing.T) {
	m, _ := newTest(t)
	reads, fail := 0, false
	quarantine := Size{Name: "quarantine_messages", Help: "held", Label: "category",
		Read: func(context.Context) (map[string]int64, error) {
			reads++
			if fail {
				return nil, errors.New("database is locked")
			}
			return map[string]int64{"spam": int64(reads), "virus": 1}, nil
		}}
	now := time.Unix(1000, 0)
	m.now = func() time.Time { return now } // the test moves the clock, never sleeps
	if err := m.AddSizes(5*time.Second, time.Second, quarantine); err != nil {
		t.Fatal(err)
	}
	get := func() string { return scrape(t, m) }
	if out := get(); !strings.Contains(out, `mailtower_quarantine_messages{category="spam"} 1`) {
		t.Fatalf("first scrape:\n%s", grep(out, "quarantine"))
	}
	now = now.Add(4 * time.Second)
	if out := get(); !strings.Contains(out, `mailtower_quarantine_messages{category="spam"} 1`) || reads != 1 {
		t.Fatalf("cached scrape read again (reads=%d):\n%s", reads, grep(out, "quarantine"))
	}
	now = now.Add(2 * time.Second)
	if out := get(); !strings.Contains(out, `mailtower_quarantine_messages{category="spam"} 2`) {
		t.Fatalf("stale cache not refreshed:\n%s", grep(out, "quarantine"))
	}
	fail = true
	now = now.Add(10 * time.Second)
	out := get()
	if strings.Contains(out, `mailtower_quarantine_messages{`) {
		t.Errorf("failed read must leave the gauge out, not report a value:\n%s", grep(out, "quarantine"))
	}
	// Collectors are gathered concurrently, so a scrape may or may not show
	// its own failed read: after three failing scrapes the third shows 2 or 3.
	get()
	out = get()
	if !strings.Contains(out, `mailtower_size_read_errors_total{gauge="quarantine_messages"} 2`) &&
		!strings.Contains(out, `mailtower_size_read_errors_total{gauge="quarantine_messages"} 3`) {
		t.Errorf("read errors not counted:\n%s", grep(out, "size_read"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRelayHost(t *testing.T) {
	for _, c := range []struct{ relay, reply, want string }{
		{"mx.Customer.example[192.0.2.1]:25", "250 ok", "mx.customer.example"},
		{"none", "connect to mx.customer.example[192.0.2.1]:25: Connection refused", "mx.customer.example"},
		{"none", "delivery temporarily suspended: lost connection", "none"},
		{"127.0.0.1[127.0.0.1]:2525", "", "127.0.0.1"},
	} {
		if got := RelayHost(c.relay, c.reply); got != c.want {
			t.Errorf("RelayHost(%q, %q) = %q, want %q", c.relay, c.reply, got, c.want)
		}
	}
}
