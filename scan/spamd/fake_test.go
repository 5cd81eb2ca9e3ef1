package spamd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// request is what the fake spamd received.
type request struct {
	line    string            // "SYMBOLS SPAMC/1.5"
	headers map[string]string // as sent, names case-sensitive like spamd's
	body    []byte
}

// fakeSpamd is an in-process spamd for unit tests only; the real daemon
// is exercised in integration/.
type fakeSpamd struct {
	Address string // config form: "127.0.0.1:PORT" or "unix:PATH"

	mu   sync.Mutex
	reqs []request
	quit chan struct{} // closed when the test ends
}

// startFake serves the SPAMC protocol on network ("tcp" or "unix"):
// it reads the request as spamd does (headers, then exactly
// Content-length bytes) and calls answer; a nil answer never answers.
func startFake(t *testing.T, network string, answer func(c net.Conn, r request)) *fakeSpamd {
	t.Helper()
	f := &fakeSpamd{quit: make(chan struct{})}
	f.Address = socktest.Serve(t, network, func(c net.Conn) {
		r, err := readRequest(bufio.NewReader(c))
		if err != nil {
			fmt.Fprintf(c, "SPAMD/1.0 76 Bad header line: (%v)\r\n", err)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, r)
		f.mu.Unlock()
		if answer == nil {
			<-f.quit // hang: the client has half-closed and cannot tell
			return
		}
		answer(c, r)
	})
	// Cleanups run last-in first-out: this releases hanging sessions
	// before Serve's cleanup waits for them.
	t.Cleanup(func() { close(f.quit) })
	if network == "unix" {
		f.Address = "unix:" + f.Address
	}
	return f
}

func readRequest(br *bufio.Reader) (request, error) {
	r := request{headers: map[string]string{}}
	line, err := br.ReadString('\n')
	if err != nil {
		return r, err
	}
	r.line = strings.TrimSuffix(line, "\r\n")
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return r, err
		}
		h = strings.TrimSuffix(h, "\r\n")
		if h == "" {
			break
		}
		name, value, ok := strings.Cut(h, ": ")
		if !ok {
			return r, fmt.Errorf("header not in 'Name: value' format")
		}
		r.headers[name] = value
	}
	if strings.HasPrefix(r.line, "PING") {
		return r, nil
	}
	n, err := strconv.Atoi(r.headers["Content-length"])
	if err != nil {
		return r, fmt.Errorf("Content-length: %w", err)
	}
	r.body = make([]byte, n)
	if _, err := io.ReadFull(br, r.body); err != nil {
		return r, fmt.Errorf("Content-Length mismatch: %w", err)
	}
	return r, nil
}

// answer replies with a fixed text.
func answer(text string) func(net.Conn, request) {
	return func(c net.Conn, _ request) { io.WriteString(c, text) }
}

func (f *fakeSpamd) last() (request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		return request{}, errors.New("fake spamd received no complete request")
	}
	return f.reqs[len(f.reqs)-1], nil
}
