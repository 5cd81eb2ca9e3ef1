package clamd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/mailtower/mailtower/scan/internal/sock/socktest"
)

// fakeClamd is an in-process clamd speaking the INSTREAM protocol, for
// unit tests only; the real daemon is exercised in integration/.
type fakeClamd struct {
	// Address is the config form: "tcp:127.0.0.1:PORT" or "unix:PATH".
	Address string

	mu       sync.Mutex
	commands []string
	streams  [][]byte
	chunks   [][]int
}

// session is what a fake does with one connection once it has read the
// command (and for INSTREAM the whole stream, unless early is set).
type session func(c net.Conn, cmd string, data []byte)

// startFake listens on network ("tcp" or "unix") and serves the INSTREAM
// protocol, calling handle once the request is read.
func startFake(t *testing.T, network string, handle session) *fakeClamd {
	t.Helper()
	f := &fakeClamd{}
	f.Address = listen(t, network, func(c net.Conn) { f.serve(c, handle) })
	return f
}

// listen serves connections on network and returns the config address.
func listen(t testing.TB, network string, serve func(net.Conn)) string {
	t.Helper()
	address := socktest.Serve(t, network, serve)
	if network == "unix" {
		return "unix:" + address
	}
	return "tcp:" + address
}

func (f *fakeClamd) serve(c net.Conn, handle session) {
	br := bufio.NewReader(c)
	cmd, err := br.ReadString(0)
	if err != nil {
		return
	}
	var data []byte
	var sizes []int
	if cmd == "zINSTREAM\x00" {
		data, sizes, err = readStream(br)
		if err != nil {
			fmt.Fprintf(c, "fake: %v ERROR\x00", err)
			return
		}
	}
	f.mu.Lock()
	f.commands = append(f.commands, cmd)
	f.streams = append(f.streams, data)
	f.chunks = append(f.chunks, sizes)
	f.mu.Unlock()
	handle(c, cmd, data)
}

// readStream reads length-prefixed chunks up to the zero-length one.
func readStream(r io.Reader) (data []byte, sizes []int, err error) {
	var buf bytes.Buffer
	for {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return nil, nil, fmt.Errorf("chunk length: %w", err)
		}
		if n == 0 {
			return buf.Bytes(), sizes, nil
		}
		sizes = append(sizes, int(n))
		if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
			return nil, nil, fmt.Errorf("chunk: %w", err)
		}
	}
}

// reply answers with a fixed text.
func reply(text string) session {
	return func(c net.Conn, _ string, _ []byte) { io.WriteString(c, text) }
}

// hang never answers; it returns when the client gives up and closes.
func hang(c net.Conn, _ string, _ []byte) { io.Copy(io.Discard, c) }

// last returns the last command and stream received.
func (f *fakeClamd) last() (cmd string, data []byte, sizes []int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.commands) == 0 {
		return "", nil, nil, errors.New("fake clamd received no complete request")
	}
	i := len(f.commands) - 1
	return f.commands[i], f.streams[i], f.chunks[i], nil
}
