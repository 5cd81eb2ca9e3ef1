//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// eicar is the 68-byte EICAR anti-virus test file.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// eicarHDB is a ClamAV hash signature (md5:size:name) for eicar: clamd
// starts with it alone, without the official databases (no freshclam here).
const eicarHDB = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n"

// Clamd is a private clamd on a loopback port with a one-signature database.
type Clamd struct {
	Dir  string
	Port int
	p    *proc
}

// startClamd writes clamd.conf and the signature database into dir and
// starts clamd on a free port.
func startClamd(dir string) (*Clamd, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c := &Clamd{Dir: dir, Port: port}
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o755); err != nil {
		return nil, fmt.Errorf("clamd: %w", err)
	}
	if err := os.WriteFile(filepath.Join(db, "eicar.hdb"), []byte(eicarHDB), 0o644); err != nil {
		return nil, fmt.Errorf("clamd: %w", err)
	}
	conf := fmt.Sprintf(`TCPSocket %d
TCPAddr 127.0.0.1
DatabaseDirectory %s
Foreground yes
LogFile %s
LogTime yes
StreamMaxLength 30M
MaxThreads 4
SelfCheck 3600
`, port, db, filepath.Join(dir, "clamd.log"))
	if err := os.WriteFile(filepath.Join(dir, "clamd.conf"), []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("clamd: %w", err)
	}
	return c, c.Start()
}

// Addr is clamd's address in mailtower's config syntax.
func (c *Clamd) Addr() string { return fmt.Sprintf("tcp:127.0.0.1:%d", c.Port) }

// Start (re)starts clamd and waits until it answers PING.
func (c *Clamd) Start() error {
	if c.p != nil && !c.p.exited() {
		return fmt.Errorf("clamd: already running")
	}
	p, err := startProc("clamd", filepath.Join(c.Dir, "clamd.out"), "clamd", "-c", filepath.Join(c.Dir, "clamd.conf"))
	if err != nil {
		return err
	}
	c.p = p
	addr := fmt.Sprintf("127.0.0.1:%d", c.Port)
	if err := p.waitReady(2*time.Minute, func() error { return pingLine(addr, "zPING\x00", "PONG") }); err != nil {
		p.stop()
		return err
	}
	return nil
}

// Stop stops clamd; its port then refuses connections.
func (c *Clamd) Stop() { c.p.stop() }

// Spamd is a private `spamd -L` (local tests only) on a loopback port.
type Spamd struct {
	Dir  string
	Port int
	p    *proc
}

// startSpamd starts spamd with a site configuration copied from
// /etc/spamassassin plus Bayes switched off: the tests must not train
// (or depend on) the Bayes database of the machine's spamd user.
func startSpamd(dir string) (*Spamd, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	site := filepath.Join(dir, "site")
	if err := os.MkdirAll(site, 0o755); err != nil {
		return nil, fmt.Errorf("spamd: %w", err)
	}
	files, _ := filepath.Glob("/etc/spamassassin/*.pre")
	cfs, _ := filepath.Glob("/etc/spamassassin/*.cf")
	for _, f := range append(files, cfs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("spamd: %w", err)
		}
		if err := os.WriteFile(filepath.Join(site, filepath.Base(f)), b, 0o644); err != nil {
			return nil, fmt.Errorf("spamd: %w", err)
		}
	}
	extra := "\n# mailtower integration tests\nuse_bayes 0\nbayes_auto_learn 0\n"
	f, err := os.OpenFile(filepath.Join(site, "local.cf"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("spamd: %w", err)
	}
	_, err = f.WriteString(extra)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("spamd: %w", err)
	}
	s := &Spamd{Dir: dir, Port: port}
	return s, s.Start()
}

// Start (re)starts spamd and waits until it answers PING.
func (s *Spamd) Start() error {
	if s.p != nil && !s.p.exited() {
		return fmt.Errorf("spamd: already running")
	}
	// spamd refuses to do its work as root: -u drops to the package's
	// user (debian-spamd), or nobody where that user does not exist.
	runAs := "debian-spamd"
	if _, err := user.Lookup(runAs); err != nil {
		runAs = "nobody"
	}
	p, err := startProc("spamd", filepath.Join(s.Dir, "spamd.log"), "spamd",
		"-L", "-x", "-u", runAs,
		fmt.Sprintf("--listen=127.0.0.1:%d", s.Port), "--allowed-ips=127.0.0.1",
		"--siteconfigpath="+filepath.Join(s.Dir, "site"), "--max-children=2", "--min-children=1",
		"--syslog=stderr", "--pidfile="+filepath.Join(s.Dir, "spamd.pid"))
	if err != nil {
		return err
	}
	s.p = p
	if err := p.waitReady(3*time.Minute, func() error {
		return pingLine(s.Addr(), "PING SPAMC/1.5\r\n\r\n", "PONG")
	}); err != nil {
		p.stop()
		return err
	}
	return nil
}

// Addr is spamd's HOST:PORT.
func (s *Spamd) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// Stop stops spamd and its children.
func (s *Spamd) Stop() { s.p.stop() }

// pingLine sends req to addr and expects a reply line containing want.
func pingLine(addr, req, want string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.Contains(line, want) {
		if err == nil {
			err = errNotYet
		}
		return fmt.Errorf("reply %q: %w", line, err)
	}
	return nil
}
