package policyd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/mailtower/mailtower/internal/netaddr"
)

// Listen opens a listener for a [policyd] address: "HOST:PORT" or
// "unix:PATH". A stale unix socket file is replaced, and the socket is
// made reachable for Postfix (mode 0660, group postfix when it exists).
func Listen(addr string) (net.Listener, error) {
	network, address, err := netaddr.ParseListen(addr)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if err := os.MkdirAll(filepath.Dir(address), 0o755); err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if fi, err := os.Lstat(address); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(address)
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if network == "unix" {
		if err := os.Chmod(address, 0o660); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if g, err := user.LookupGroup("postfix"); err == nil {
			gid, _ := strconv.Atoi(g.Gid)
			_ = os.Chown(address, -1, gid) // best effort: works as root
		}
	}
	return ln, nil
}

// acceptor runs a connection-per-goroutine accept loop with a connection
// limit and graceful shutdown, shared by the policy and socketmap servers.
type acceptor struct {
	name string
	max  int
	log  *slog.Logger
	// panicked counts a panic that escaped a handler (metrics); may be nil.
	panicked func(component string)

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

// serve accepts until ctx ends, then closes ln, wakes idle connections
// (handlers finish the request they are answering and return) and waits
// for every handler.
func (a *acceptor) serve(ctx context.Context, ln net.Listener, handle func(ctx context.Context, c net.Conn)) error {
	a.mu.Lock()
	if a.conns == nil {
		a.conns = map[net.Conn]struct{}{}
	}
	a.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		a.mu.Lock()
		a.closed = true
		for c := range a.conns {
			c.SetReadDeadline(time.Now()) // an idle read returns at once
		}
		a.mu.Unlock()
	})
	defer stop()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				a.wg.Wait()
				return nil
			}
			// Out of file descriptors and the like: wait, do not spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			a.log.Warn("accept failed", "listener", a.name, "err", err)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !a.track(c) {
			a.log.Warn("connection limit reached; closing new connection", "listener", a.name, "max", a.max,
				"client", c.RemoteAddr().String())
			c.Close()
			continue
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.untrack(c)
			defer c.Close()
			// Last resort: a panic outside the guarded decision (reading,
			// writing) closes this connection only.
			safely(a.log, a.name, a.panicked, func() { handle(ctx, c) }, "client", c.RemoteAddr().String())
		}()
	}
}

func (a *acceptor) track(c net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || (a.max > 0 && len(a.conns) >= a.max) {
		return false
	}
	a.conns[c] = struct{}{}
	return true
}

func (a *acceptor) untrack(c net.Conn) {
	a.mu.Lock()
	delete(a.conns, c)
	a.mu.Unlock()
}

// active returns the number of open connections.
func (a *acceptor) active() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.conns)
}

// ServeConns accepts connections on ln until ctx ends and runs handle in
// a goroutine for each (at most max at once; 0 = no limit), with the
// policy servers' shutdown (idle connections are woken, handlers
// awaited) and panic containment. The authentication server (saslauth)
// runs on it too.
func ServeConns(ctx context.Context, ln net.Listener, name string, max int, log *slog.Logger,
	handle func(ctx context.Context, c net.Conn)) error {
	a := &acceptor{name: name, max: max, log: log}
	return a.serve(ctx, ln, handle)
}
