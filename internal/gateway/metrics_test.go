package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMetricsService(t *testing.T) {
	cfg := testConfig(t)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("[metrics]\nlisten = \"127.0.0.1:0\"\n")
	f.Close()
	ctx := context.Background()
	a := openTestApp(t, cfg)
	if a.Metrics, err = NewMetrics(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := StartMetrics(ctx, a, log)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Shutdown(ctx)
	// What the milter's Runtime hooks report shows up on the endpoint.
	rt, err := milterRuntime(ctx, a, a.Config, log)
	if err != nil {
		t.Fatal(err)
	}
	rt.Count("spam", "quarantine")
	rt.Observe("spamd", 40*time.Millisecond, nil)

	resp, err := http.Get("http://" + svc.(*metricsService).addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`mailtower_messages_total{action="quarantine",verdict="spam"} 1`,
		`mailtower_scanner_duration_seconds_count{scanner="spamd"} 1`,
		`mailtower_quarantine_messages{category="spam"} 0`,
		`mailtower_greylist_triplets{state="pending"} 0`,
		`mailtower_build_info{`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestMetricsOff(t *testing.T) {
	cfg := testConfig(t)
	f, _ := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("[metrics]\nlisten = \"\"\n")
	f.Close()
	a := openTestApp(t, cfg)
	svc, err := StartMetrics(context.Background(), a, slog.Default())
	if err != nil || svc.(*metricsService).srv != nil {
		t.Fatalf("listen = \"\" must start nothing: %v", err)
	}
}
