//go:build integration

package integration

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// proc is a daemon started by the harness: its own process group (so that
// Postfix's master and its children, or spamd and its pre-forked children,
// go down together), its output in a log file that outlives it.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // exit status, valid after done is closed
}

// startProc runs argv in the background with stdout and stderr appended
// to logPath.
func startProc(name, logPath string, argv ...string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: log: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	// Pdeathsig: if the test binary dies without cleaning up (a -timeout
	// panic, a kill), the daemon gets SIGTERM and takes its children down
	// instead of lingering on a machine shared with other developers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, strings.Join(argv, " "), err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, waits up to 10 s, then kills the
// group. It is safe to call more than once.
func (p *proc) stop() {
	if p == nil || p.exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlived their parent (pre-forked workers) share the
	// group: make sure none is left behind.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// kill ends the process group at once with SIGKILL, as a crash would,
// and waits for it.
func (p *proc) kill() {
	if p == nil || p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// waitReady polls ready every 100 ms until it returns nil, the process
// exits, or limit passes. The limit is a bound on waiting, not an
// assertion about speed.
func (p *proc) waitReady(limit time.Duration, ready func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before it was ready (%v); log %s:\n%s", p.name, p.err, p.log, tailFile(p.log, 30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w; log %s:\n%s", p.name, limit, err, p.log, tailFile(p.log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dialable reports whether something accepts TCP connections at addr.
func dialable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Other users of the machine could take it before we bind it; the window
// is small and a collision shows up as a clear start-up error.
func freePort() (int, error) {
	for range portHigh - portLow {
		p := portLow + int(nextPort.Add(1))%(portHigh-portLow)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue // taken by someone else
		}
		l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("free port: none free in %d-%d", portLow, portHigh)
}

// The test listeners' ports come from below Linux's ephemeral range
// (32768-60999), each handed out once per test process: a port taken
// from the kernel's ":0" and closed again could be given to an outgoing
// connection (Postfix, a client) before its daemon bound it, and the
// daemon then failed with "address already in use".
const portLow, portHigh = 20000, 32000

// nextPort is the last port offset handed out; it starts at a random
// place so that two test processes at once rarely meet.
var nextPort = func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(rand.Int64N(portHigh - portLow))
	return &n
}()

// freePorts returns n distinct free ports.
func freePorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var ports []int
	for len(ports) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// tailFile returns the last n lines of a file, for failure messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// run executes a short command and returns its combined output; the error
// includes the output, which is what a failing test wants to print.
func run(argv ...string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out), nil
}

// errNotYet is returned by readiness probes that have not succeeded yet.
var errNotYet = errors.New("not yet")
