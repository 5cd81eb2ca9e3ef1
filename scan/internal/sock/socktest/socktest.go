// Package socktest helps the engine adapters' unit tests and benchmarks:
// throwaway listeners, a broken message store, a check of Scan's outcome
// and the benchmarks' raw-copy baseline. The
// fake engines themselves live in each adapter's _test.go files.
package socktest

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mailtower/mailtower/scan"
)

// Serve listens on "tcp" (127.0.0.1, a free port) or "unix" (a socket in a
// fresh temporary directory), runs serve on every connection in its own
// goroutine and closes the connection after it. When the test ends the
// listener is closed and every serve call is waited for, so serve must
// return once its client has gone. Serve returns the listening address:
// "127.0.0.1:PORT" or the socket's path.
func Serve(t testing.TB, network string, serve func(net.Conn)) string {
	t.Helper()
	address := "127.0.0.1:0"
	if network == "unix" {
		// Unix socket paths are limited to about 100 bytes: stay short.
		dir, err := os.MkdirTemp("", "sock")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		address = filepath.Join(dir, "s")
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Refused returns a loopback address on which nothing listens (a port
// that was free a moment ago), for connection-refused tests.
func Refused(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := ln.Addr().String()
	ln.Close()
	return address
}

// CheckScan checks the outcome of a Scan call in a table test: with
// wantErr set, err must contain it and start with label (the engine and
// its configured address, "clamd tcp:127.0.0.1:3310") and no findings may
// come with it; without, err must be nil. It reports whether the scan
// succeeded, so that the caller goes on to check the findings.
func CheckScan[F any](t testing.TB, findings []F, err error, wantErr, label string) bool {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("error = %v, want one containing %q", err, wantErr)
	}
	if !strings.HasPrefix(err.Error(), label+": ") {
		t.Errorf("error %q does not start with %q", err, label)
	}
	if len(findings) != 0 {
		t.Errorf("findings %v returned with an error", findings)
	}
	return false
}

// BrokenDisk is a message store whose every read fails with "disk on fire".
type BrokenDisk struct{}

// ReadAt fails.
func (BrokenDisk) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

// BenchRawCopy is the baseline of the adapters' benchmarks: per iteration
// one loopback connection that carries raw to a server that discards it
// and answers reply, with nothing of any engine protocol.
func BenchRawCopy(b *testing.B, raw []byte, reply string) {
	address := Serve(b, "tcp", func(c net.Conn) {
		io.CopyN(io.Discard, c, int64(len(raw)))
		io.WriteString(c, reply)
	})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", address)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(c); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchScan is the measured side of the adapters' benchmarks: s scans
// msg once per iteration.
func BenchScan(b *testing.B, s scan.Scanner, msg *scan.Message) {
	b.SetBytes(msg.Size())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Scan(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
	}
}
