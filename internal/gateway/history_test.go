package gateway

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/internal/config"
	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/store/storetest"
)

// TestHistoryService: `serve`'s history service follows [history]
// log_file into the store, and the policy daemon's refusal hook writes
// through the shared writer (flushed by App.Close).
func TestHistoryService(t *testing.T) {
	ctx := context.Background()
	path := testConfig(t)
	logFile := filepath.Join(filepath.Dir(path), "mail.log")
	line := "Dec 05 10:00:00 gw postfix/smtp[1]: ABCDEF0001: to=<bob@customer.example>, relay=mx.customer.example[192.0.2.25]:25, " +
		"delay=0.2, delays=0/0/0.1/0.1, dsn=4.4.1, status=deferred (connect to mx.customer.example[192.0.2.25]:25: Connection refused)\n"
	if err := os.WriteFile(logFile, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("[history]\nlog_file = \"" + logFile + "\"\n")
	f.Close()
	a := openTestApp(t, path)
	var err error
	if a.Metrics, err = NewMetrics(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc, err := StartHistory(ctx, a, log)
	if err != nil {
		t.Fatal(err)
	}
	refused := a.refusalRecorder(ctx, log)
	refused(policyd.Request{"recipient": "nobody@customer.example", "sender": "x@spam.example", "client_address": "192.0.2.9"},
		policyd.Decision{Action: "550 5.1.1 unknown user", Reason: "unknown-user"})
	h, err := a.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := a.DB.QueryRow(`SELECT COUNT(*) FROM history_deliveries WHERE queue_id = 'ABCDEF0001' AND status = 'deferred'`).Scan(&n)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery not followed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The deferred delivery is counted for the customer's server.
	rec := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `mailtower_deliveries_total{relay="mx.customer.example",status="deferred"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s", want)
	}
	if err := svc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	a.closeHistory()
	rows, err := h.Search(ctx, history.Filter{Verdict: history.VerdictRefused})
	if err != nil || len(rows) != 1 || rows[0].Action != "unknown-user" {
		t.Fatalf("refusal rows %+v %v", rows, err)
	}
}

// TestFollowerNameSharedDatabase: on SQLite the follower's position is
// keyed by the log's path (as stored before); on PostgreSQL, which several
// gateways share, by host name and path, so two gateways never move each
// other's position.
func TestFollowerNameSharedDatabase(t *testing.T) {
	a := &App{Config: &config.Config{Hostname: "gw1.example"}, DB: storetest.Open(t)}
	want := "/var/log/mail.log"
	if storetest.Postgres() {
		want = "gw1.example:/var/log/mail.log"
	}
	if got := followerName(a, "/var/log/mail.log"); got != want {
		t.Errorf("followerName = %q, want %q", got, want)
	}
}
