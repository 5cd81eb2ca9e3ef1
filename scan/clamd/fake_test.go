package clamd

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
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

// listen accepts connections on 127.0.0.1:0 or on a unix socket in a
// temporary directory, runs serve for each, and returns the config
// address. Everything is closed and waited for when the test ends.
func listen(t *testing.T, network string, serve func(net.Conn)) string {
	t.Helper()
	var ln net.Listener
	var err error
	var address string
	if network == "unix" {
		// Unix socket paths are limited to about 100 bytes: stay short.
		dir, derr := os.MkdirTemp("", "clamd")
		if derr != nil {
			t.Fatal(derr)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		ln, err = net.Listen("unix", filepath.Join(dir, "clamd.sock"))
		if err == nil {
			address = "unix:" + ln.Addr().String()
		}
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			address = "tcp:" + ln.Addr().String()
		}
	}
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
	return address
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
