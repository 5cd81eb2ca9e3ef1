// Package socktest helps the engine adapters' unit tests: throwaway
// listeners, a broken message store and a check of Scan's outcome. The
// fake engines themselves live in each adapter's _test.go files.
package socktest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
