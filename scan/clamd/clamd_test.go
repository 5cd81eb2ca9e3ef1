package clamd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

func message(raw []byte) *scan.Message {
	return scan.NewMessage(scan.Envelope{QueueID: "4AbC1", Sender: "a@example.org"}, bytes.NewReader(raw), int64(len(raw)))
}

func newScanner(t testing.TB, address string) *Scanner {
	t.Helper()
	s, err := New(Options{Address: address, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eicarFinding(name string) scan.Finding {
	return scan.Finding{Scanner: "clamd", Category: scan.Virus, Rule: name, Reason: "virus " + name + " found by ClamAV"}
}

func TestScanReplies(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		want    []scan.Finding
		wantErr string // substring; empty = no error
	}{
		{name: "clean", reply: "stream: OK\x00"},
		{name: "found", reply: "stream: Eicar-Test.UNOFFICIAL FOUND\x00",
			want: []scan.Finding{eicarFinding("Eicar-Test.UNOFFICIAL")}},
		{name: "extended detection info", reply: "stream: Eicar-Test(44d88612fea8a8f36de82e1278abb02f:68) FOUND\x00",
			want: []scan.Finding{eicarFinding("Eicar-Test")}},
		{name: "all match", reply: "stream: Win.Test.A FOUND\x00stream: Win.Test.B FOUND\x00",
			want: []scan.Finding{eicarFinding("Win.Test.A"), eicarFinding("Win.Test.B")}},
		{name: "size limit", reply: "INSTREAM size limit exceeded. ERROR\x00", wantErr: "StreamMaxLength"},
		{name: "stream error", reply: "stream: Can't allocate memory ERROR\x00", wantErr: "clamd error: stream: Can't allocate memory"},
		{name: "unknown command", reply: "UNKNOWN COMMAND\x00", wantErr: "unexpected reply"},
		{name: "garbage", reply: "\xff\xfe\x00", wantErr: "unexpected reply"},
		{name: "truncated", reply: "stream: Eicar-Te", wantErr: "truncated reply"},
		{name: "no reply", reply: "", wantErr: "empty reply"},
		{name: "empty name", reply: "stream:  FOUND\x00", wantErr: "empty virus name"},
		{name: "control character", reply: "stream: Bad\x1bName FOUND\x00", wantErr: "control character"},
		{name: "OK and FOUND", reply: "stream: OK\x00stream: X FOUND\x00", wantErr: "OK among other answers"},
		{name: "newline terminated", reply: "stream: OK\n", wantErr: "truncated reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, "tcp", reply(tt.reply))
			got, err := newScanner(t, f.Address).Scan(context.Background(), message([]byte("Subject: hi\r\n\r\nbody\r\n")))
			if !socktest.CheckScan(t, got, err, tt.wantErr, "clamd "+f.Address) {
				return
			}
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("findings = %#v, want %#v", got, tt.want)
			}
			cmd, data, _, err := f.last()
			if err != nil {
				t.Fatal(err)
			}
			if cmd != "zINSTREAM\x00" || string(data) != "Subject: hi\r\n\r\nbody\r\n" {
				t.Errorf("fake received %q with %q", cmd, data)
			}
		})
	}
}

func TestScanUnixSocket(t *testing.T) {
	f := startFake(t, "unix", reply("stream: Eicar-Test.UNOFFICIAL FOUND\x00"))
	if !strings.HasPrefix(f.Address, "unix:/") {
		t.Fatalf("address %q", f.Address)
	}
	got, err := newScanner(t, f.Address).Scan(context.Background(), message([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if want := []scan.Finding{eicarFinding("Eicar-Test.UNOFFICIAL")}; !reflect.DeepEqual(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
}

func TestScanLargeMessageInChunks(t *testing.T) {
	raw := make([]byte, 10<<20+12345)
	rand.New(rand.NewSource(1)).Read(raw)
	f := startFake(t, "tcp", reply("stream: OK\x00"))
	if _, err := newScanner(t, f.Address).Scan(context.Background(), message(raw)); err != nil {
		t.Fatal(err)
	}
	_, data, sizes, err := f.last()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, raw) {
		t.Fatalf("fake received %d bytes, not the %d sent", len(data), len(raw))
	}
	if want := (len(raw) + chunkSize - 1) / chunkSize; len(sizes) != want {
		t.Errorf("%d chunks, want %d", len(sizes), want)
	}
	for i, n := range sizes {
		if n > chunkSize {
			t.Errorf("chunk %d has %d bytes, over %d", i, n, chunkSize)
		}
	}
}

func TestScanEmptyMessage(t *testing.T) {
	f := startFake(t, "tcp", reply("stream: OK\x00"))
	if _, err := newScanner(t, f.Address).Scan(context.Background(), message(nil)); err != nil {
		t.Fatal(err)
	}
	_, data, sizes, err := f.last()
	if err != nil || len(data) != 0 || len(sizes) != 0 {
		t.Errorf("fake received %d bytes in %d chunks (%v), want an empty stream", len(data), len(sizes), err)
	}
}

func TestScanRefusedEarly(t *testing.T) {
	// Like clamd past StreamMaxLength: answer after the first chunk and
	// hang up while the client is still sending.
	address := listen(t, "tcp", func(c net.Conn) {
		buf := make([]byte, 100)
		io.ReadFull(c, buf)
		io.WriteString(c, "INSTREAM size limit exceeded. ERROR\x00")
	})
	raw := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	_, err := newScanner(t, address).Scan(context.Background(), message(raw))
	if err == nil {
		t.Fatal("no error for a stream clamd refused")
	}
	if !strings.HasPrefix(err.Error(), "clamd "+address+": ") {
		t.Errorf("error %q does not name the engine", err)
	}
}

func TestScanConnectionRefused(t *testing.T) {
	address := "tcp:" + socktest.Refused(t)
	_, err := newScanner(t, address).Scan(context.Background(), message([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error = %v, want connection refused", err)
	}
}

func TestScanHangingServer(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, "tcp", hang)
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := newScanner(t, f.Address).Scan(ctx, message([]byte("x")))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestScanTimeoutFromConfig(t *testing.T) {
	f := startFake(t, "tcp", hang)
	s, err := New(Options{Address: f.Address, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Scan(context.Background(), message([]byte("x"))); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline error", err)
	}
}

func TestScanUnreadableMessage(t *testing.T) {
	f := startFake(t, "tcp", reply("stream: OK\x00"))
	msg := scan.NewMessage(scan.Envelope{}, socktest.BrokenDisk{}, 100)
	_, err := newScanner(t, f.Address).Scan(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("error = %v, want the read error", err)
	}
}

func TestPingVersion(t *testing.T) {
	f := startFake(t, "tcp", func(c net.Conn, cmd string, _ []byte) {
		switch cmd {
		case "zPING\x00":
			io.WriteString(c, "PONG\x00")
		case "zVERSION\x00":
			io.WriteString(c, "ClamAV 1.4.6/27463/Sat Nov 21 09:40:26 2026\x00")
		}
	})
	s := newScanner(t, f.Address)
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	v, err := s.Version(context.Background())
	if err != nil || v != "ClamAV 1.4.6/27463/Sat Nov 21 09:40:26 2026" {
		t.Errorf("Version = %q, %v", v, err)
	}

	bad := newScanner(t, startFake(t, "tcp", reply("PANG\x00")).Address)
	if err := bad.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), `unexpected reply "PANG"`) {
		t.Errorf("Ping with a bad reply: %v", err)
	}
	if _, err := bad.Version(context.Background()); err == nil {
		t.Error("Version accepted a bad reply")
	}
	if err := newScanner(t, startFake(t, "tcp", reply("PONG")).Address).Ping(context.Background()); err == nil {
		t.Error("Ping accepted a reply without its NUL terminator")
	}
}

func TestNewRejectsBadAddress(t *testing.T) {
	for _, a := range []string{"", "127.0.0.1:3310", "tcp:nohost", "unix:relative.sock", "udp:1.2.3.4:5"} {
		if _, err := New(Options{Address: a}); err == nil {
			t.Errorf("New(%q) accepted a bad address", a)
		}
	}
}

func TestScanConcurrent(t *testing.T) {
	// The fake finds a "virus" named after the message: every scan must
	// get its own answer.
	f := startFake(t, "tcp", func(c net.Conn, _ string, data []byte) {
		io.WriteString(c, "stream: "+string(data)+" FOUND\x00")
	})
	s := newScanner(t, f.Address)
	const n = 16
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(name string) {
			got, err := s.Scan(context.Background(), message([]byte(name)))
			if err == nil && (len(got) != 1 || got[0].Rule != name) {
				err = fmt.Errorf("scan of %s found %v", name, got)
			}
			errs <- err
		}(fmt.Sprintf("Virus.%d", i))
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
