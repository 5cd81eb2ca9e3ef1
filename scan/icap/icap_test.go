package icap

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

func newScanner(t testing.TB, addr string, timeout time.Duration) *Scanner {
	t.Helper()
	s, err := New(Options{Address: addr, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func message(body []byte) *scan.Message {
	return scan.NewMessage(scan.Envelope{QueueID: "4XyZ"}, bytes.NewReader(body), int64(len(body)))
}

// answerEICAR is a server that finds EICAR in the body, answering with
// reply, and 204 otherwise.
func answerEICAR(reply string) func([]byte) string {
	return func(b []byte) string {
		if bytes.Contains(b, []byte(eicar)) {
			return reply
		}
		return "ICAP/1.0 204 No Content\r\nISTag: \"x\"\r\n\r\n"
	}
}

func TestScan(t *testing.T) {
	big := make([]byte, 10<<20)
	rand.New(rand.NewSource(1)).Read(big)
	bigVirus := append(append([]byte{}, big[:5<<20]...), eicar...)
	virusID := "ICAP/1.0 200 OK\r\nX-Virus-ID: Eicar-Signature\r\nEncapsulated: res-hdr=0, res-body=47\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n0\r\n\r\n"
	echo := "ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\nHTTP/1.1 200 OK\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	tests := []struct {
		name   string
		reply  string
		body   []byte
		want   []string
		errSub string
	}{
		{"clean small (ieof preview)", virusPage(true), []byte("hello"), nil, ""},
		{"clean 10 MB (preview, 100 Continue)", virusPage(true), big, nil, ""},
		{"empty message", virusPage(true), []byte{}, nil, ""},
		{"EICAR in preview, headers", virusPage(true), []byte(eicar), []string{"Eicar-Test.UNOFFICIAL"}, ""},
		{"EICAR after preview", virusPage(true), bigVirus, []string{"Eicar-Test.UNOFFICIAL"}, ""},
		{"EICAR, page only", virusPage(false), []byte(eicar), []string{"Eicar-Test.UNOFFICIAL"}, ""},
		{"X-Virus-ID", virusID, []byte(eicar), []string{"Eicar-Signature"}, ""},
		{"200 unchanged is clean", echo, []byte(eicar), nil, ""},
		{"500", "ICAP/1.0 500 Server error\r\n\r\n", []byte(eicar), nil, "500"},
		{"garbage", "SPAMD/1.1 0 EX_OK\r\n\r\n", []byte(eicar), nil, "garbled"},
		{"truncated head", "ICAP/1.0 200 OK\r\nX-Infe", []byte(eicar), nil, "truncated"},
		{"truncated encapsulated header", "ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=30\r\n\r\nHTTP/1.1 403", []byte(eicar), nil, "truncated"},
		{"nothing", "", []byte(eicar), nil, "without a reply"},
		{"200 without encapsulated response", "ICAP/1.0 200 OK\r\nEncapsulated: null-body=0\r\n\r\n", []byte(eicar), nil, "garbled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, answerEICAR(tt.reply))
			s := newScanner(t, f.addr(), 10*time.Second)
			got, err := s.Scan(context.Background(), message(tt.body))
			if tt.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("err = %v, want it to mention %q (findings %v)", err, tt.errSub, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				if g.Category != scan.Virus || g.Scanner != "icap" {
					t.Errorf("finding %+v", g)
				}
				names = append(names, g.Rule)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("threats %v, want %v", names, tt.want)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.bodies) != 1 || !bytes.Equal(f.bodies[0], tt.body) {
				t.Errorf("server got %d bodies; the body differs from the message", len(f.bodies))
			}
		})
	}
}

func TestRequestShape(t *testing.T) {
	f := newFake(t, answerEICAR(virusPage(true)))
	s := newScanner(t, f.addr(), 10*time.Second)
	for i := 0; i < 2; i++ {
		if _, err := s.Scan(context.Background(), message([]byte("hello"))); err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// OPTIONS once (its TTL holds), then one RESPMOD per message.
	if len(f.requests) != 3 || !strings.HasPrefix(f.requests[0], "OPTIONS "+f.addr()+" ICAP/1.0\r\n") {
		t.Fatalf("requests: %q", f.requests)
	}
	r := f.requests[1]
	for _, want := range []string{"RESPMOD " + f.addr() + " ICAP/1.0\r\n", "Allow: 204\r\n", "Preview: 1024\r\n",
		"Host: " + strings.TrimPrefix(strings.TrimSuffix(f.addr(), "/virus_scan"), "icap://") + "\r\n",
		"Encapsulated: req-hdr=0, res-hdr=47, res-body=115\r\n"} {
		if !strings.Contains(r, want) {
			t.Errorf("request lacks %q:\n%s", want, r)
		}
	}
}

func TestNoPreview(t *testing.T) {
	f := newFake(t, answerEICAR(virusPage(true)))
	f.options = "ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\nEncapsulated: null-body=0\r\n\r\n"
	s := newScanner(t, f.addr(), 10*time.Second)
	body := bytes.Repeat([]byte("x"), 5000)
	got, err := s.Scan(context.Background(), message(append(body, eicar...)))
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if strings.Contains(f.requests[1], "Preview:") {
		t.Errorf("preview sent to a server that asked for none")
	}
}

func TestPreviewAnswered(t *testing.T) {
	// The server judges the preview alone: 204 is clean, a verdict counts.
	for _, tt := range []struct {
		reply string
		want  int
	}{{"ICAP/1.0 204 No Content\r\n\r\n", 0}, {virusPage(true), 1}} {
		f := newFake(t, answerEICAR(virusPage(true)))
		f.previewReply = tt.reply
		s := newScanner(t, f.addr(), 10*time.Second)
		got, err := s.Scan(context.Background(), message(bytes.Repeat([]byte("y"), 3000)))
		if err != nil || len(got) != tt.want {
			t.Errorf("reply %.20q: got %v, %v", tt.reply, got, err)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, opts := range []string{
		"ICAP/1.0 404 ICAP Service not found\r\n\r\n",
		"ICAP/1.0 200 OK\r\nMethods: REQMOD\r\n\r\n",
		"ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\nPreview: lots\r\n\r\n",
		"garbage\r\n\r\n",
	} {
		f := newFake(t, answerEICAR(virusPage(true)))
		f.options = opts
		s := newScanner(t, f.addr(), 10*time.Second)
		if err := s.Ping(context.Background()); err == nil {
			t.Errorf("Ping accepted %q", opts)
		}
		if got, err := s.Scan(context.Background(), message([]byte(eicar))); err == nil {
			t.Errorf("Scan with OPTIONS %q: %v, no error", opts, got)
		}
	}
}

func TestUnreachableAndHanging(t *testing.T) {
	addr := "icap://" + socktest.Refused(t) + "/virus_scan"
	if _, err := newScanner(t, addr, time.Second).Scan(context.Background(), message([]byte("x"))); err == nil {
		t.Fatal("refused connection: no error")
	}
	// A server that never answers (it returns once the client has gone).
	hang := socktest.Serve(t, "tcp", func(c net.Conn) { io.Copy(io.Discard, c) })
	start := time.Now()
	_, err := newScanner(t, "icap://"+hang+"/virus_scan", 300*time.Millisecond).Scan(context.Background(), message([]byte("x")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hanging server: err = %v, want a deadline error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("hanging server held the scan for %s", time.Since(start))
	}
}

func TestAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"icap://127.0.0.1/virus_scan":                    "icap://127.0.0.1:1344/virus_scan",
		"icap://127.0.0.1:11344/avscan?allow204=on":      "icap://127.0.0.1:11344/avscan?allow204=on",
		"icap://[::1]:1344/srv_clamav":                   "icap://[::1]:1344/srv_clamav",
		"http://127.0.0.1:1344/virus_scan":               "",
		"icap://127.0.0.1:1344/":                         "",
		"icap://127.0.0.1:99999/virus_scan":              "",
		"icap://user@127.0.0.1/virus_scan":               "",
		"icap://127.0.0.1/virus scan":                    "",
		"icap://127.0.0.1/virus_scan\r\nX-Injected: yes": "",
	} {
		s, err := New(Options{Address: addr})
		switch {
		case want == "" && err == nil:
			t.Errorf("%q accepted", addr)
		case want != "" && err != nil:
			t.Errorf("%q: %v", addr, err)
		case want != "" && s.uri != want:
			t.Errorf("%q: uri %q, want %q", addr, s.uri, want)
		}
	}
}
