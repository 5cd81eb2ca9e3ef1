//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mailtowerBin is the binary built once by TestMain.
var mailtowerBin string

// sharedSpamd serves every test: spamd takes seconds to start and holds
// no state the tests change (Bayes is off).
var sharedSpamd *Spamd

// TestMain checks for root, builds mailtower once, starts the shared
// spamd, runs the tests and stops what it started.
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "integration tests need root: they start a private Postfix instance (master runs as root), clamd and spamd.\nRun: sudo go test -tags integration -count=1 ./integration/...")
		return 1
	}
	for _, bin := range []string{"/usr/lib/postfix/sbin/master", "postqueue", "clamd", "spamd"} {
		if _, err := exec.LookPath(bin); err != nil {
			fmt.Fprintf(os.Stderr, "integration: %s not found (%v); install the packages with scripts/install-deps.sh\n", bin, err)
			return 1
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	mailtowerBin = filepath.Join(root, "tmp", "mailtower")
	// The test-clock tag gives the quarantine commands --now (retention
	// tests); MAILTOWER_BUILD_TAGS adds more (mailtower_cpuprofile for
	// the load tests' profile).
	tags := strings.TrimSpace("mailtower_testclock " + os.Getenv("MAILTOWER_BUILD_TAGS"))
	build := exec.Command("go", "build", "-tags", tags, "-o", mailtowerBin, ".")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: go build:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "mailtower-it-spamd-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	sharedSpamd, err = startSpamd(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	code := m.Run()
	sharedSpamd.Stop()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "integration: spamd log kept in %s\n", dir)
	} else {
		os.RemoveAll(dir)
	}
	return code
}

// Env is one gateway under test: Postfix in front, mailtower's milter,
// clamd, the shared spamd, and the sink as the customer's server.
type Env struct {
	Dir       string
	Postfix   *Postfix
	Sink      *Sink
	Clamd     *Clamd
	ICAP      *ICAP // with EnvOptions.ICAP
	Spamd     *Spamd
	Mailtower *Mailtower
	ownSpamd  bool // Spamd belongs to this Env (stopped at its end)
}

// EnvOptions choose the parts of an Env.
type EnvOptions struct {
	// Domains accepted by Postfix and relayed to the sink.
	Domains []string
	// NoMilter runs Postfix without smtpd_milters and does not start
	// mailtower serve (plumbing checks, load baseline); the CLI works.
	NoMilter bool
	// NoClamd and NoSpamd leave the scanner out of mailtower's config.
	NoClamd, NoSpamd bool
	// ICAP starts c-icap in front of the Env's clamd and makes it
	// mailtower's antivirus engine ([scanners.icap]) instead of clamd.
	ICAP bool
	// OwnSpamd starts a spamd for this Env instead of using the shared
	// one, for tests that stop it.
	OwnSpamd bool
	// MailtowerExtra is appended to mailtower.toml.
	MailtowerExtra string
	// LogLevel is mailtower's log level; "" = debug.
	LogLevel string
	// ExtraMaster is appended to Postfix's master.cf (more listeners).
	ExtraMaster string
	// ReinjectSocket makes [reinject] smtp the unix socket form (the
	// default in production), queue/public/mailtower-reinject, instead
	// of a loopback port.
	ReinjectSocket bool
	// PostfixMain names main.cf parameters whose lines are taken from
	// `mailtower postfix-config --main` (overriding the harness's own),
	// so that tests run the configuration admins install.
	PostfixMain []string
	// Submission adds the master.cf services of `mailtower postfix-config
	// --submission` (587 and 465 on the free ports of
	// Mailtower.SubmissionPort and SubmissionsPort).
	Submission bool
	// SASLExtra are more keys of mailtower's [sasl] section.
	SASLExtra string
	// SASLPath, when set, replaces mailtower's authentication server as
	// the submission services' smtpd_sasl_path (another server, such as
	// Dovecot, for the protocol conformance test).
	SASLPath string
	// Database is mailtower's database key: "" = SQLite in the data
	// directory, or a postgres:// URL (cluster tests).
	Database string
	// SQLite keeps the gateway on SQLite even when the suite runs on
	// PostgreSQL (a test whose subject is a SQLite gateway: migrate-to).
	SQLite bool
	// MailLogFile makes Postfix write its log itself (postlogd,
	// maillog_file = DIR/postfix/maillog, which `postfix logrotate`
	// rotates) instead of to master's standard output (postfix.log).
	MailLogFile bool
}

// defaultDomains are the customer domains every Env accepts.
var defaultDomains = []string{"clean.test", "quarantine.test", "tag.test", "virus.test", "down.test"}

// NewEnv starts a gateway for t; everything stops when t ends. The test
// directory is removed when t passed and kept, with the tails of its logs
// printed, when it failed.
func NewEnv(t testing.TB, o EnvOptions) *Env {
	t.Helper()
	if len(o.Domains) == 0 {
		o.Domains = defaultDomains
	}
	dir, err := os.MkdirTemp("", "mailtower-it-")
	if err == nil {
		// Postfix's daemons (user postfix) must reach the queue below it.
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Dir: dir, Spamd: sharedSpamd}
	t.Cleanup(func() { e.cleanup(t) })

	if e.Sink, err = startSink(); err != nil {
		t.Fatal(err)
	}
	if !o.NoClamd {
		if e.Clamd, err = startClamd(e.sub(t, "clamd")); err != nil {
			t.Fatal(err)
		}
	}
	if o.ICAP && e.Clamd != nil {
		if e.ICAP, err = startICAP(e.sub(t, "c-icap"), e.Clamd.Port); err != nil {
			t.Fatal(err)
		}
		o.MailtowerExtra += fmt.Sprintf("\n[scanners.icap]\naddress = %q\ntimeout = \"30s\"\n", e.ICAP.Addr())
	}
	if o.OwnSpamd && !o.NoSpamd {
		if e.Spamd, err = startSpamd(e.sub(t, "spamd")); err != nil {
			t.Fatal(err)
		}
		e.ownSpamd = true
	}
	// Ports first: mailtower's config names Postfix's reinject listener,
	// Postfix's names the milter.
	if e.Postfix, err = newPostfix(e.sub(t, "postfix")); err != nil {
		t.Fatal(err)
	}
	if o.ReinjectSocket {
		e.Postfix.ReinjectSocket = filepath.Join(e.Postfix.Dir, "queue", "public", "mailtower-reinject")
	}
	// mailtower's mail history follows the instance's log.
	historyLog := e.Postfix.Log
	if o.MailLogFile {
		e.Postfix.MailLog = filepath.Join(e.Postfix.Dir, "maillog")
		historyLog = e.Postfix.MailLog
	}
	// The config is written even without the milter: the CLI needs it.
	o.Database = envDatabase(t, o)
	e.Mailtower, err = writeMailtowerConfig(e.sub(t, "mailtower"), MailtowerOptions{
		ClamdAddr: e.clamdAddr(o), SpamdAddr: e.spamdAddr(o),
		ReinjectAddr: e.Postfix.ReinjectConfig(), Extra: o.MailtowerExtra, Database: o.Database, LogLevel: o.LogLevel, SASLExtra: o.SASLExtra, HistoryLog: historyLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	milterPort := e.Mailtower.MilterPort
	if o.NoMilter {
		milterPort = 0
	}
	reinject, err := e.Mailtower.CLI("postfix-config", "--master")
	if err != nil {
		t.Fatal(err)
	}
	service := e.Postfix.ReinjectAddr() + " inet "
	if o.ReinjectSocket {
		service = filepath.Base(e.Postfix.ReinjectSocket) + " unix "
	}
	if !strings.Contains(reinject, "\n"+service) {
		t.Fatalf("postfix-config --master does not listen on [reinject] smtp %s:\n%s", e.Postfix.ReinjectConfig(), reinject)
	}
	mainExtra, err := e.generatedMain(o.PostfixMain)
	if err != nil {
		t.Fatal(err)
	}
	if o.Submission {
		sub, err := e.Mailtower.CLI("postfix-config", "--submission")
		if err != nil {
			t.Fatal(err)
		}
		if o.SASLPath != "" {
			sub = strings.ReplaceAll(sub, fmt.Sprintf("smtpd_sasl_path=inet:127.0.0.1:%d", e.Mailtower.SASLPort),
				"smtpd_sasl_path="+o.SASLPath)
		}
		o.ExtraMaster += sub
	}
	if o.MailLogFile {
		// Postfix writes a maillog_file only below maillog_file_prefixes.
		mainExtra += "maillog_file = " + e.Postfix.MailLog + "\nmaillog_file_prefixes = " + e.Postfix.Dir + "\n"
	}
	if err := e.Postfix.Start(PostfixOptions{Domains: o.Domains, SinkPort: e.Sink.Port, MilterPort: milterPort,
		ReinjectEntry: reinject, ExtraMaster: o.ExtraMaster, MainExtra: mainExtra}); err != nil {
		t.Fatal(err)
	}
	if !o.NoMilter {
		if err := e.Mailtower.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// generatedMain returns the lines of `mailtower postfix-config --main`
// that set the named parameters; it fails when one is missing.
func (e *Env) generatedMain(names []string) (string, error) {
	if len(names) == 0 {
		return "", nil
	}
	out, err := e.Mailtower.CLI("postfix-config", "--main")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, name := range names {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if k, _, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == name {
				b.WriteString(line + "\n")
				found = true
			}
		}
		if !found {
			return "", fmt.Errorf("postfix-config --main sets no %s:\n%s", name, out)
		}
	}
	return b.String(), nil
}

func (e *Env) clamdAddr(o EnvOptions) string {
	if e.Clamd == nil || o.ICAP {
		return ""
	}
	return e.Clamd.Addr()
}

func (e *Env) spamdAddr(o EnvOptions) string {
	if o.NoSpamd || e.Spamd == nil {
		return ""
	}
	return e.Spamd.Addr()
}

// sub creates a sub-directory of the test directory.
func (e *Env) sub(t testing.TB, name string) string {
	t.Helper()
	d := filepath.Join(e.Dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// cleanup stops every process, then removes or keeps the directory.
func (e *Env) cleanup(t testing.TB) {
	e.Mailtower.Stop()
	if e.Postfix != nil {
		e.Postfix.Stop()
	}
	if e.ICAP != nil {
		e.ICAP.Stop()
	}
	if e.Clamd != nil {
		e.Clamd.Stop()
	}
	if e.ownSpamd {
		e.Spamd.Stop()
	}
	if e.Sink != nil {
		e.Sink.Stop()
	}
	if !t.Failed() {
		os.RemoveAll(e.Dir)
		return
	}
	t.Logf("test directory kept: %s (messages the sink received: sink/*.eml)", e.Dir)
	if e.Sink != nil {
		sink := e.sub(t, "sink")
		for i, m := range e.Sink.Messages() {
			_ = os.WriteFile(filepath.Join(sink, fmt.Sprintf("%03d.eml", i+1)), m.Data, 0o644)
		}
	}
	for _, l := range []struct {
		path  string
		lines int
	}{{"postfix/postfix.log", 40}, {"mailtower/mailtower.log", 40}, {"clamd/clamd.log", 5}, {"spamd/spamd.log", 10}} {
		p := filepath.Join(e.Dir, l.path)
		if _, err := os.Stat(p); err == nil {
			t.Logf("--- tail of %s:\n%s", p, tailFile(p, l.lines))
		}
	}
}

// waitFor polls cond every 100 ms until it is true or limit passes; the
// limit bounds the wait, the test asserts on cond's result.
func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
