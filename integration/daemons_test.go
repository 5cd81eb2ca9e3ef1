//go:build integration

package integration

// Real scan engines for integration tests: runClamd, runSpamd and
// runRspamd each start a private daemon from the Debian package on free
// loopback ports, with its configuration and state in a fresh directory,
// wait until it answers the adapter's Ping, and stop it (its whole
// process group) when the test ends. A failed test keeps the directory
// and prints the daemon's log.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan/clamd"
	"github.com/mailtower/mailtower/scan/rspamd"
	"github.com/mailtower/mailtower/scan/spamd"
)

// engineEICARHDB is a ClamAV hash signature (md5:size:name) of the 68-byte
// EICAR test file: clamd starts with it alone (no freshclam here) and
// reports "Eicar-Test.UNOFFICIAL".
const engineEICARHDB = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n"

// engineStreamMax is the StreamMaxLength of the test clamd: above the
// 25 MB default message size limit, low enough to test the refusal.
const engineStreamMax = 30 << 20

// runClamd starts clamd with a one-signature database, listening on a free
// loopback TCP port and on a unix socket in its directory, and returns
// both addresses in config syntax ("tcp:127.0.0.1:PORT", "unix:PATH").
func runClamd(t *testing.T) (tcp, unix string) {
	t.Helper()
	requireRoot(t, "clamd")
	dir := engineDir(t, "clamd")
	db := filepath.Join(dir, "db")
	makeDir(t, db)
	writeConf(t, filepath.Join(db, "eicar.hdb"), engineEICARHDB)
	port := engineFreePort(t)
	sock := filepath.Join(dir, "clamd.sock")
	writeConf(t, filepath.Join(dir, "clamd.conf"), fmt.Sprintf(`TCPSocket %d
TCPAddr 127.0.0.1
LocalSocket %s
DatabaseDirectory %s
Foreground yes
LogFile %s
LogTime yes
StreamMaxLength %d
MaxThreads 4
SelfCheck 3600
`, port, sock, db, filepath.Join(dir, "clamd.log"), engineStreamMax))
	tcp, unix = fmt.Sprintf("tcp:127.0.0.1:%d", port), "unix:"+sock
	startDaemon(t, dir, "clamd", tcp, []string{"clamd", "-c", filepath.Join(dir, "clamd.conf")}, 2*time.Minute,
		func(ctx context.Context) error {
			s, err := clamd.New(clamd.Options{Address: tcp})
			if err != nil {
				return err
			}
			return s.Ping(ctx)
		})
	return tcp, unix
}

// runSpamd starts `spamd -L` (no network tests) on a free loopback port
// with the machine's site rules but Bayes off, so that tests neither train
// nor depend on a Bayes database, and returns "127.0.0.1:PORT".
func runSpamd(t *testing.T) string {
	t.Helper()
	requireRoot(t, "spamd")
	dir := engineDir(t, "spamd")
	site := filepath.Join(dir, "site")
	makeDir(t, site)
	files, _ := filepath.Glob("/etc/spamassassin/*.pre")
	cfs, _ := filepath.Glob("/etc/spamassassin/*.cf")
	for _, f := range append(files, cfs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeConf(t, filepath.Join(site, filepath.Base(f)), string(b))
	}
	writeConf(t, filepath.Join(site, "zz-mailtower-test.cf"), "use_bayes 0\nbayes_auto_learn 0\n")
	// spamd will not scan as root: -u drops to the package's user.
	runAs := "debian-spamd"
	if _, err := user.Lookup(runAs); err != nil {
		runAs = "nobody"
	}
	addr := fmt.Sprintf("127.0.0.1:%d", engineFreePort(t))
	startDaemon(t, dir, "spamd", addr, []string{"spamd", "-L", "-x", "-u", runAs, "--listen=" + addr,
		"--allowed-ips=127.0.0.1", "--siteconfigpath=" + site, "--max-children=2", "--min-children=1",
		"--syslog=stderr", "--pidfile=" + filepath.Join(dir, "spamd.pid")}, 3*time.Minute,
		func(ctx context.Context) error {
			s, err := spamd.New(spamd.Options{Address: addr})
			if err != nil {
				return err
			}
			return s.Ping(ctx)
		})
	return addr
}

// rspamdOffline lists the modules that query the network (DNS lists, SPF,
// DKIM, fuzzy storage, ...) or need Redis: without either here they only
// add timeouts.
var rspamdOffline = []string{"rbl", "surbl", "emails", "spf", "dkim", "dmarc", "arc", "asn", "fuzzy_check",
	"phishing", "url_redirector", "hfilter", "dcc", "dkim_signing", "mx_check", "once_received",
	"whitelist", "reputation", "ratelimit", "greylist", "neural", "replies", "history_redis"}

// runRspamd starts rspamd's normal worker alone on a free loopback port,
// with network modules off and DNS pointed at a closed local port, its
// state in a private directory, and returns "http://127.0.0.1:PORT".
// rspamd compiles its rules first: it takes 15-30 s to answer.
func runRspamd(t *testing.T) string {
	t.Helper()
	requireRoot(t, "rspamd")
	dir := engineDir(t, "rspamd")
	local := filepath.Join(dir, "local")
	for _, d := range []string{"local.d", "override.d"} {
		makeDir(t, filepath.Join(local, d))
	}
	port := engineFreePort(t)
	override := map[string]string{
		"worker-normal.inc":     fmt.Sprintf("bind_socket = \"127.0.0.1:%d\";\ncount = 1;\n", port),
		"worker-controller.inc": "count = -1;\n",
		"worker-proxy.inc":      "count = -1;\n",
		"logging.inc":           "type = \"console\";\nlevel = \"info\";\n",
		"options.inc":           "dns { nameserver = [\"127.0.0.1:1\"]; timeout = 0.2s; retransmits = 1; }\n",
	}
	for name, text := range override {
		writeConf(t, filepath.Join(local, "override.d", name), text)
	}
	for _, m := range rspamdOffline {
		writeConf(t, filepath.Join(local, "local.d", m+".conf"), "enabled = false;\n")
	}
	state := []string{"db", "run", "log"}
	for _, d := range state {
		makeDir(t, filepath.Join(dir, d))
		chownToUser(t, filepath.Join(dir, d), "_rspamd")
	}
	addr := fmt.Sprintf("http://127.0.0.1:%d", port)
	startDaemon(t, dir, "rspamd", addr, []string{"rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd",
		"-c", "/etc/rspamd/rspamd.conf", "--var=LOCAL_CONFDIR=" + local, "--var=DBDIR=" + filepath.Join(dir, "db"),
		"--var=RUNDIR=" + filepath.Join(dir, "run"), "--var=LOGDIR=" + filepath.Join(dir, "log")}, 3*time.Minute,
		func(ctx context.Context) error {
			s, err := rspamd.New(rspamd.Options{Address: addr})
			if err != nil {
				return err
			}
			return s.Ping(ctx)
		})
	return addr
}

// daemonLogs maps a running daemon's address (as runClamd, runSpamd and
// runRspamd return it) to the file holding its output, for tests that
// check what the daemon logged.
var daemonLogs sync.Map

// startDaemon runs argv in its own process group with its output in
// dir/NAME.out, polls ready every 250 ms until it succeeds or limit
// passes, and registers the daemon's stop. addr is the address the daemon
// will answer on (the key of daemonLogs).
func startDaemon(t *testing.T, dir, name, addr string, argv []string, limit time.Duration, ready func(context.Context) error) {
	t.Helper()
	if _, err := exec.LookPath(argv[0]); err != nil {
		t.Fatalf("%s not installed (%v): apt-get install -y clamav-daemon spamd rspamd", argv[0], err)
	}
	logPath := filepath.Join(dir, name+".out")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: spamd's and rspamd's children go down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(exited) }()
	t.Cleanup(func() {
		daemonLogs.Delete(addr)
		stopGroup(cmd.Process.Pid, exited)
		if t.Failed() {
			t.Logf("%s output (%s):\n%s", name, logPath, daemonLogTail(logPath, 40))
		}
	})
	deadline := time.Now().Add(limit)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("%s exited while starting: %v\n%s", name, cmd.ProcessState, daemonLogTail(logPath, 40))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		lastErr = ready(ctx)
		cancel()
		if lastErr == nil {
			daemonLogs.Store(addr, logPath)
			t.Logf("%s ready on %s (pid %d, %s)", name, addr, cmd.Process.Pid, dir)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s: %v", name, limit, lastErr)
}

// stopGroup ends the process group led by pid: SIGTERM, then SIGKILL
// after 15 s.
func stopGroup(pid int, exited <-chan struct{}) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	// Workers that outlived their master still carry the group id.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// engineDir makes a directory that daemons dropping root can read; it is
// removed when the test passes and kept (and named) when it fails.
func engineDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailtower-"+name+"-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

func requireRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("starting a private %s needs root: sudo go test -tags integration ./integration/", what)
	}
}

// engineFreePort returns a loopback port that was free a moment ago.
func engineFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func makeDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeConf(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func chownToUser(t *testing.T, path, name string) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("user %s: %v (is the package installed?)", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// daemonLogTail returns the last n lines of a file.
func daemonLogTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
