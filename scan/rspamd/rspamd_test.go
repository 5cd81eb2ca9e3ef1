package rspamd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// gtubeReply is what rspamd 3.4 answered here for GTUBE: processing stops
// on the pattern (is_skipped) with a zero-score symbol and a forced reject.
const gtubeReply = `{"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject",` +
	`"symbols":{"GTUBE":{"name":"GTUBE","score":0.0,"metric_score":0.0}},` +
	`"messages":{"smtp_message":"Gtube pattern"},"message-id":"x@example.org","time_real":0.78}`

// fakeRspamd is an in-process rspamd /checkv2 endpoint for unit tests only;
// the real daemon is exercised in integration/.
type fakeRspamd struct {
	URL string

	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

// startFake serves every request with handle after recording it; a nil
// handle never answers (until the client gives up).
func startFake(t *testing.T, handle http.HandlerFunc) *fakeRspamd {
	t.Helper()
	f := &fakeRspamd{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, r)
		f.body = append(f.body, b)
		f.mu.Unlock()
		if handle == nil {
			<-r.Context().Done()
			return
		}
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func (f *fakeRspamd) last(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("fake rspamd received no request")
	}
	return f.reqs[len(f.reqs)-1], f.body[len(f.body)-1]
}

func message(env scan.Envelope, raw []byte) *scan.Message {
	return scan.NewMessage(env, bytes.NewReader(raw), int64(len(raw)))
}

func newScanner(t testing.TB, address string, timeout time.Duration) *Scanner {
	t.Helper()
	s, err := New(Options{Address: address, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScanReplies(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		reply   string
		want    scan.Finding
		wantErr string // substring; empty = no error
	}{
		{name: "gtube", status: 200, reply: gtubeReply, want: scan.Finding{Scanner: "rspamd", Category: scan.Spam,
			Rule: "RSPAMD", Score: 15, Value: 15, Reason: "rspamd score 15.0 (required 15.0, action reject: Gtube pattern)", Rules: []string{"GTUBE"}}},
		{name: "spam", status: 200, reply: `{"is_skipped":false,"score":7.5,"required_score":15,"action":"add header",` +
			`"symbols":{"B":{"score":2.5},"A":{"score":5},"INFO":{"score":0},"GOOD":{"score":-0.5},"C":{"score":0.5}}}`,
			want: scan.Finding{Scanner: "rspamd", Category: scan.Spam, Rule: "RSPAMD", Score: 7.5, Value: 7.5,
				Reason: "rspamd score 7.5 (required 15.0, action add header)", Rules: []string{"A", "B", "C", "GOOD"}}},
		{name: "clean", status: 200, reply: `{"is_skipped":false,"score":-0.1,"required_score":15.0,"action":"no action",` +
			`"symbols":{"MIME_GOOD":{"name":"MIME_GOOD","score":-0.1},"FROM_NO_DN":{"score":0}},"messages":{}}`,
			want: scan.Finding{Scanner: "rspamd", Category: scan.Spam, Rule: "RSPAMD", Score: -0.1, Value: -0.1,
				Reason: "rspamd score -0.1 (required 15.0, action no action)", Rules: []string{"MIME_GOOD"}}},
		{name: "forced reject below the threshold", status: 200, reply: `{"score":0,"required_score":15,"action":"reject","symbols":{}}`,
			want: scan.Finding{Scanner: "rspamd", Category: scan.Spam, Rule: "RSPAMD", Score: 15, Value: 15,
				Reason: "rspamd score 15.0 (required 15.0, action reject)"}},
		{name: "server error", status: 500, reply: `{"error":"invalid command","error_domain":"protocol-error"}`,
			wantErr: "500 Internal Server Error: invalid command"},
		{name: "not found", status: 404, reply: "<html>nope</html>", wantErr: "404 Not Found: <html>nope</html>"},
		{name: "not json", status: 200, reply: "pong", wantErr: "bad JSON reply"},
		{name: "truncated", status: 200, reply: `{"score":7.5,"required_score":15,"act`, wantErr: "bad JSON reply"},
		{name: "no score", status: 200, reply: `{"required_score":15,"action":"no action"}`, wantErr: "without score"},
		{name: "no action", status: 200, reply: `{"score":1,"required_score":15}`, wantErr: "without score"},
		{name: "bad symbol", status: 200, reply: `{"score":1,"required_score":15,"action":"no action","symbols":{"A\nB":{"score":1}}}`,
			wantErr: "bad symbol name"},
		{name: "wrong type", status: 200, reply: `{"score":"high","required_score":15,"action":"reject"}`, wantErr: "bad JSON reply"},
		{name: "too long", status: 200, reply: `{"score":1,"x":"` + strings.Repeat("a", maxReply) + `"}`, wantErr: "reply too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, answer(tt.status, tt.reply))
			got, err := newScanner(t, f.URL, 30*time.Second).Scan(context.Background(), message(scan.Envelope{}, []byte("Subject: x\r\n\r\nhi\r\n")))
			if !socktest.CheckScan(t, got, err, tt.wantErr, "rspamd "+f.URL) {
				return
			}
			if want := []scan.Finding{tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("findings = %#v\nwant %#v", got, want)
			}
			r, body := f.last(t)
			if r.Method != "POST" || r.URL.Path != "/checkv2" || string(body) != "Subject: x\r\n\r\nhi\r\n" {
				t.Errorf("fake received %s %s %q", r.Method, r.URL.Path, body)
			}
		})
	}
}

func TestScanSendsEnvelope(t *testing.T) {
	tests := []struct {
		name string
		env  scan.Envelope
		want http.Header
	}{
		{"full", scan.Envelope{QueueID: "4AbC1", ClientAddr: "192.0.2.7", ClientHost: "mx.example.org", Helo: "mx.example.org",
			Sender: "a@example.org", Recipients: []string{"b@example.com", "c@example.com"}},
			http.Header{"Queue-Id": {"4AbC1"}, "Ip": {"192.0.2.7"}, "Hostname": {"mx.example.org"}, "Helo": {"mx.example.org"},
				"From": {"a@example.org"}, "Rcpt": {"b@example.com", "c@example.com"}}},
		{"null sender and a header-breaking helo", scan.Envelope{Helo: "evil\r\nX: y", Recipients: []string{"b@example.com"}},
			http.Header{"Rcpt": {"b@example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, answer(200, gtubeReply))
			if _, err := newScanner(t, f.URL, 30*time.Second).Scan(context.Background(), message(tt.env, []byte("x"))); err != nil {
				t.Fatal(err)
			}
			r, _ := f.last(t)
			for _, name := range []string{"Queue-Id", "Ip", "Hostname", "Helo", "From", "Rcpt"} {
				if got := r.Header.Values(name); !reflect.DeepEqual(got, tt.want.Values(name)) {
					t.Errorf("header %s = %q, want %q", name, got, tt.want.Values(name))
				}
			}
		})
	}
}

func TestScanLargeMessage(t *testing.T) {
	raw := make([]byte, 10<<20+99)
	rand.New(rand.NewSource(1)).Read(raw)
	f := startFake(t, answer(200, gtubeReply))
	if _, err := newScanner(t, f.URL, 30*time.Second).Scan(context.Background(), message(scan.Envelope{}, raw)); err != nil {
		t.Fatal(err)
	}
	r, body := f.last(t)
	if !bytes.Equal(body, raw) || r.ContentLength != int64(len(raw)) {
		t.Fatalf("fake received %d bytes (Content-Length %d), not the %d sent", len(body), r.ContentLength, len(raw))
	}
}

func TestScanEmptyMessage(t *testing.T) {
	f := startFake(t, answer(200, `{"score":0,"required_score":15,"action":"no action","symbols":{}}`))
	if _, err := newScanner(t, f.URL, 30*time.Second).Scan(context.Background(), message(scan.Envelope{}, nil)); err != nil {
		t.Fatal(err)
	}
	r, body := f.last(t)
	if len(body) != 0 || r.ContentLength != 0 || len(r.TransferEncoding) != 0 {
		t.Errorf("empty message sent as %d bytes, Content-Length %d, Transfer-Encoding %v", len(body), r.ContentLength, r.TransferEncoding)
	}
}

func TestScanConnectionRefused(t *testing.T) {
	_, err := newScanner(t, "http://"+socktest.Refused(t), 30*time.Second).Scan(context.Background(), message(scan.Envelope{}, []byte("x")))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error = %v, want connection refused", err)
	}
}

func TestScanHangingServer(t *testing.T) {
	f := startFake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := newScanner(t, f.URL, 0).Scan(ctx, message(scan.Envelope{}, []byte("x")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline error", err)
	}
}

func TestScanTimeoutFromConfig(t *testing.T) {
	f := startFake(t, nil)
	_, err := newScanner(t, f.URL, 200*time.Millisecond).Scan(context.Background(), message(scan.Envelope{}, []byte("x")))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error = %v, want a timeout", err)
	}
}

func TestScanUnreadableMessage(t *testing.T) {
	f := startFake(t, answer(200, gtubeReply))
	msg := scan.NewMessage(scan.Envelope{}, socktest.BrokenDisk{}, 100)
	_, err := newScanner(t, f.URL, 30*time.Second).Scan(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("error = %v, want the read error", err)
	}
}

func TestPing(t *testing.T) {
	tests := []struct {
		status int
		body   string
		ok     bool
	}{
		{200, "pong\r\n", true},
		{200, "ping", false},
		{503, "pong", false},
	}
	for _, tt := range tests {
		f := startFake(t, answer(tt.status, tt.body))
		err := newScanner(t, f.URL, 30*time.Second).Ping(context.Background())
		if (err == nil) != tt.ok {
			t.Errorf("Ping with %d %q: %v", tt.status, tt.body, err)
		}
		if r, _ := f.last(t); r.Method != "GET" || r.URL.Path != "/ping" {
			t.Errorf("fake received %s %s", r.Method, r.URL.Path)
		}
	}
}

func TestNewAddresses(t *testing.T) {
	tests := []struct {
		address, base string // base empty: rejected
	}{
		{"http://127.0.0.1:11333", "http://127.0.0.1:11333"},
		{"http://127.0.0.1:11333/", "http://127.0.0.1:11333"},
		{"http://scan.example.org/rspamd/", "http://scan.example.org/rspamd"},
		{"127.0.0.1:11333", ""},
		{"tcp:127.0.0.1:11333", ""},
		{"http://127.0.0.1:11333/?x=1", ""},
		{"http://user:pw@127.0.0.1:11333", ""},
	}
	for _, tt := range tests {
		s, err := New(Options{Address: tt.address})
		switch {
		case tt.base == "" && err == nil:
			t.Errorf("New(%q) accepted it", tt.address)
		case tt.base != "" && err != nil:
			t.Errorf("New(%q): %v", tt.address, err)
		case tt.base != "" && s.base != tt.base:
			t.Errorf("New(%q) base = %q, want %q", tt.address, s.base, tt.base)
		}
	}
}
