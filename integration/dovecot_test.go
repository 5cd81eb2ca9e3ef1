//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Dovecot is a private Dovecot (Debian's dovecot-core) running only its
// authentication service, on a loopback TCP port: the reference server
// of the protocol Postfix's smtpd_sasl_type = dovecot speaks.
type Dovecot struct {
	Port int
	Dir  string
	p    *proc
}

// startDovecot starts Dovecot in dir with a passwd-file passdb of the
// given "user:{SCHEME}hash" lines.
func startDovecot(dir string, passwd []string) (*Dovecot, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(strings.Join(passwd, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
instance_name = mailtower-it-%[2]d
protocols =
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = %[1]s/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = %[2]d
  }
}
`, dir, port)
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	p, err := startProc("dovecot", filepath.Join(dir, "stdout.log"), "/usr/sbin/dovecot", "-c", filepath.Join(dir, "dovecot.conf"), "-F")
	if err != nil {
		return nil, err
	}
	d := &Dovecot{Port: port, Dir: dir, p: p}
	if err := p.waitReady(30*time.Second, func() error { return dialable(d.Addr()) }); err != nil {
		p.stop()
		return nil, err
	}
	return d, nil
}

// Addr is the authentication service's address.
func (d *Dovecot) Addr() string { return fmt.Sprintf("127.0.0.1:%d", d.Port) }

// Stop stops Dovecot.
func (d *Dovecot) Stop() {
	if d != nil {
		d.p.stop()
	}
}

// authLine is one recorded protocol line: From "C" (Postfix) or "S"
// (the authentication server).
type authLine struct {
	From, Line string
}

// authRecorder is a TCP proxy between Postfix and an authentication
// server that records every line of every connection.
type authRecorder struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns [][]authLine
}

func startAuthRecorder(target string) (*authRecorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &authRecorder{ln: ln, target: target}
	go r.accept()
	return r, nil
}

// Addr is where Postfix connects (smtpd_sasl_path = inet:Addr).
func (r *authRecorder) Addr() string { return r.ln.Addr().String() }

// Close stops accepting.
func (r *authRecorder) Close() { r.ln.Close() }

// Conversations returns each connection's lines in order.
func (r *authRecorder) Conversations() [][]authLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]authLine, len(r.conns))
	for i, c := range r.conns {
		out[i] = append([]authLine(nil), c...)
	}
	return out
}

func (r *authRecorder) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		i := len(r.conns)
		r.conns = append(r.conns, nil)
		r.mu.Unlock()
		pipe := func(from string, src io.Reader, dst net.Conn) {
			br := bufio.NewReader(src)
			for {
				line, err := br.ReadString('\n')
				if line != "" {
					r.mu.Lock()
					r.conns[i] = append(r.conns[i], authLine{from, strings.TrimSuffix(line, "\n")})
					r.mu.Unlock()
					dst.Write([]byte(line))
				}
				if err != nil {
					dst.Close()
					return
				}
			}
		}
		go pipe("C", c, s)
		go pipe("S", s, c)
	}
}
