package spamd

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

const gtubeReply = "SPAMD/1.1 0 EX_OK\r\nContent-length: 40\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,MISSING_DATE,NO_RECEIVED,NO_RELAYS"

func message(raw []byte) *scan.Message {
	return scan.NewMessage(scan.Envelope{QueueID: "4AbC1"}, bytes.NewReader(raw), int64(len(raw)))
}

func newScanner(t *testing.T, cfg Options) *Scanner {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func spamFinding(score, required float64, rules ...string) scan.Finding {
	return scan.Finding{Scanner: "spamd", Category: scan.Spam, Rule: "SPAMASSASSIN", Score: score, Value: score,
		Reason: "SpamAssassin score " + strconv.FormatFloat(score, 'f', 1, 64) +
			" (required " + strconv.FormatFloat(required, 'f', 1, 64) + ")",
		Rules: rules}
}

func TestScanReplies(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		want    scan.Finding
		wantErr string // substring; empty = no error
	}{
		{name: "spam", reply: gtubeReply,
			want: spamFinding(1000, 5, "GTUBE", "MISSING_DATE", "NO_RECEIVED", "NO_RELAYS")},
		{name: "clean", reply: "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; 1.2 / 5.0\r\n\r\n",
			want: spamFinding(1.2, 5)},
		{name: "negative score", reply: "SPAMD/1.1 0 EX_OK\r\nContent-length: 11\r\nSpam: False ; -2.5 / 5.0\r\n\r\nALL_TRUSTED",
			want: spamFinding(-2.5, 5, "ALL_TRUSTED")},
		{name: "no content-length", reply: "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 6.0 / 5.0\r\n\r\nA_RULE,B_RULE\r\n",
			want: spamFinding(6, 5, "A_RULE", "B_RULE")},
		{name: "protocol error", reply: "SPAMD/1.0 76 Bad header line: (Content-Length mismatch)\r\n",
			wantErr: "spamd answered 76 Bad header line"},
		{name: "unavailable", reply: "SPAMD/1.0 69 Service Unavailable: Error fetching user preferences via SQL\r\n",
			wantErr: "spamd answered 69"},
		{name: "truncated body", reply: "SPAMD/1.1 0 EX_OK\r\nContent-length: 50\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,MIS",
			wantErr: "truncated reply: 9 of 50"},
		{name: "truncated headers", reply: "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 10",
			wantErr: "truncated reply"},
		{name: "no reply", reply: "", wantErr: "reply ends early"},
		{name: "no spam header", reply: "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n",
			wantErr: "without a Spam header"},
		{name: "http", reply: "HTTP/1.1 400 Bad Request\r\n\r\n", wantErr: "bad status line"},
		{name: "nan score", reply: "SPAMD/1.1 0 EX_OK\r\nSpam: True ; NaN / 5.0\r\n\r\n", wantErr: "bad scores"},
		{name: "bad flag", reply: "SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1 / 5.0\r\n\r\n", wantErr: "bad Spam header"},
		{name: "bad rule name", reply: "SPAMD/1.1 0 EX_OK\r\nContent-length: 14\r\nSpam: True ; 9 / 5\r\n\r\nGTUBE,<script>",
			wantErr: "bad rule name"},
		{name: "huge content-length", reply: "SPAMD/1.1 0 EX_OK\r\nContent-length: 99999999\r\nSpam: True ; 9 / 5\r\n\r\n",
			wantErr: "over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, "tcp", answer(tt.reply))
			raw := []byte("Subject: hi\r\n\r\nbody\r\n")
			got, err := newScanner(t, Options{Address: f.Address}).Scan(context.Background(), message(raw))
			if !socktest.CheckScan(t, got, err, tt.wantErr, "spamd "+f.Address) {
				return
			}
			if want := []scan.Finding{tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("findings = %#v\nwant %#v", got, want)
			}
			r, err := f.last()
			if err != nil {
				t.Fatal(err)
			}
			if r.line != "SYMBOLS SPAMC/1.5" || r.headers["Content-length"] != strconv.Itoa(len(raw)) || !bytes.Equal(r.body, raw) {
				t.Errorf("fake received %q %v %q", r.line, r.headers, r.body)
			}
			if _, ok := r.headers["User"]; ok {
				t.Errorf("User header sent without a configured user")
			}
		})
	}
}

func TestScanUserHeader(t *testing.T) {
	f := startFake(t, "tcp", answer(gtubeReply))
	s := newScanner(t, Options{Address: f.Address, User: "mailtower"})
	if _, err := s.Scan(context.Background(), message([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	r, err := f.last()
	if err != nil || r.headers["User"] != "mailtower" {
		t.Errorf("User header = %q (%v), want mailtower", r.headers["User"], err)
	}
}

func TestScanUnixSocket(t *testing.T) {
	f := startFake(t, "unix", answer(gtubeReply))
	got, err := newScanner(t, Options{Address: f.Address}).Scan(context.Background(), message([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Score != 1000 {
		t.Errorf("findings = %v", got)
	}
}

func TestScanLargeMessage(t *testing.T) {
	raw := make([]byte, 10<<20+777)
	rand.New(rand.NewSource(1)).Read(raw)
	f := startFake(t, "tcp", answer(gtubeReply))
	if _, err := newScanner(t, Options{Address: f.Address}).Scan(context.Background(), message(raw)); err != nil {
		t.Fatal(err)
	}
	r, err := f.last()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, raw) || r.headers["Content-length"] != strconv.Itoa(len(raw)) {
		t.Fatalf("fake received %d bytes (Content-length %s), not the %d sent", len(r.body), r.headers["Content-length"], len(raw))
	}
}

func TestScanConnectionRefused(t *testing.T) {
	_, err := newScanner(t, Options{Address: socktest.Refused(t)}).Scan(context.Background(), message([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error = %v, want connection refused", err)
	}
}

func TestScanHangingServer(t *testing.T) {
	f := startFake(t, "tcp", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := newScanner(t, Options{Address: f.Address}).Scan(ctx, message([]byte("x")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline error", err)
	}
}

func TestScanRefusedEarly(t *testing.T) {
	// spamd answers an error and hangs up without reading the body.
	address := socktest.Serve(t, "tcp", func(c net.Conn) {
		c.Write([]byte("SPAMD/1.0 76 Bad header line: (User header contains control chars)\r\n"))
	})
	raw := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	_, err := newScanner(t, Options{Address: address}).Scan(context.Background(), message(raw))
	if err == nil || !strings.HasPrefix(err.Error(), "spamd "+address+": ") {
		t.Fatalf("error = %v, want a spamd error", err)
	}
}

func TestScanUnreadableMessage(t *testing.T) {
	f := startFake(t, "tcp", answer(gtubeReply))
	msg := scan.NewMessage(scan.Envelope{}, socktest.BrokenDisk{}, 100)
	_, err := newScanner(t, Options{Address: f.Address}).Scan(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "read message: disk on fire") {
		t.Fatalf("error = %v, want the read error", err)
	}
}

func TestPing(t *testing.T) {
	tests := []struct {
		reply string
		ok    bool
	}{
		{"SPAMD/1.5 0 PONG\r\n", true},
		{"SPAMD/1.5 76 Bad header line\r\n", false},
		{"", false},
	}
	for _, tt := range tests {
		f := startFake(t, "tcp", answer(tt.reply))
		err := newScanner(t, Options{Address: f.Address}).Ping(context.Background())
		if (err == nil) != tt.ok {
			t.Errorf("Ping with reply %q: %v", tt.reply, err)
		}
		if r, _ := f.last(); r.line != "PING SPAMC/1.5" {
			t.Errorf("fake received %q", r.line)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Options{
		{Address: ""},
		{Address: "tcp:127.0.0.1:783"},
		{Address: "unix:relative"},
		{Address: "127.0.0.1:783", User: "two words"},
		{Address: "127.0.0.1:783", User: "evil\r\nUser: root"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
}
