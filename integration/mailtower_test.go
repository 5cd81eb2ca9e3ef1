//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Mailtower is `mailtower serve` running as a child process with a config
// file written by the test.
type Mailtower struct {
	Config        string // path of mailtower.toml
	DataDir       string
	Database      string // the database key: "" (SQLite in DataDir) or a postgres:// URL
	MilterPort    int
	PolicyPort    int
	SocketmapPort int
	// SASLPort is the authentication server ([sasl] listen);
	// SubmissionPort and SubmissionsPort are the services that
	// `postfix-config --submission` prints (Postfix listens there only
	// when a test adds them to master.cf: EnvOptions.Submission).
	SASLPort, SubmissionPort, SubmissionsPort int
	Log                                       string
	p                                         *proc
}

// MailtowerOptions are what the tests vary in the config file.
type MailtowerOptions struct {
	ClamdAddr    string // "" = no [scanners.clamd]
	SpamdAddr    string // "" = no [scanners.spamd]
	ReinjectAddr string // Postfix's listener without milter
	// Extra is appended to the config file verbatim (TOML).
	Extra string
	// SASLExtra are more keys of the [sasl] section (the harness writes
	// the section, with free ports).
	SASLExtra string
	// LogLevel defaults to debug: a failing test prints the log.
	LogLevel string
	// HistoryLog is [history] log_file: the test Postfix's log.
	HistoryLog string
	// Database is the top-level database key ("" = SQLite).
	Database string
}

// writeMailtowerConfig writes dir/mailtower.toml with every listener on a
// free loopback port: developers share the machine, so no default port
// (8891, 10040, 9891, ...) may be used.
func writeMailtowerConfig(dir string, o MailtowerOptions) (*Mailtower, error) {
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	m := &Mailtower{
		Config:          filepath.Join(dir, "mailtower.toml"),
		DataDir:         filepath.Join(dir, "data"),
		MilterPort:      ports[0],
		PolicyPort:      ports[1],
		SocketmapPort:   ports[2],
		SASLPort:        ports[3],
		SubmissionPort:  ports[4],
		SubmissionsPort: ports[5],
		Log:             filepath.Join(dir, "mailtower.log"),
		Database:        o.Database,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\nhostname = \"gw.mailtower.test\"\n", m.DataDir)
	if o.Database != "" {
		fmt.Fprintf(&b, "database = %q\n", o.Database)
	}
	b.WriteString("\n")
	if o.LogLevel == "" {
		o.LogLevel = "debug"
	}
	fmt.Fprintf(&b, "[log]\nlevel = %q\n\n", o.LogLevel)
	fmt.Fprintf(&b, "[milter]\nlisten = \"inet:127.0.0.1:%d\"\ntimeout = \"60s\"\n\n", m.MilterPort)
	fmt.Fprintf(&b, "[policyd]\nlisten = \"127.0.0.1:%d\"\nsocketmap = \"127.0.0.1:%d\"\n\n", m.PolicyPort, m.SocketmapPort)
	fmt.Fprintf(&b, "[reinject]\nsmtp = %q\n\n", o.ReinjectAddr)
	fmt.Fprintf(&b, "[metrics]\nlisten = \"\"\n\n")
	fmt.Fprintf(&b, "[sasl]\nlisten = \"127.0.0.1:%d\"\nsubmission = \"127.0.0.1:%d\"\nsubmissions = \"127.0.0.1:%d\"\n",
		m.SASLPort, m.SubmissionPort, m.SubmissionsPort)
	if o.SASLExtra != "" {
		b.WriteString(o.SASLExtra + "\n")
	}
	b.WriteString("\n")
	if o.ClamdAddr != "" {
		fmt.Fprintf(&b, "[scanners.clamd]\naddress = %q\ntimeout = \"30s\"\n\n", o.ClamdAddr)
	}
	if o.SpamdAddr != "" {
		fmt.Fprintf(&b, "[scanners.spamd]\naddress = %q\ntimeout = \"60s\"\n\n", o.SpamdAddr)
	}
	if o.HistoryLog != "" {
		fmt.Fprintf(&b, "[history]\nlog_file = %q\n\n", o.HistoryLog)
	}
	b.WriteString(o.Extra)
	if err := os.WriteFile(m.Config, []byte(b.String()), 0o644); err != nil {
		return nil, fmt.Errorf("mailtower config: %w", err)
	}
	return m, nil
}

// MilterAddr is the milter's TCP address.
func (m *Mailtower) MilterAddr() string { return fmt.Sprintf("127.0.0.1:%d", m.MilterPort) }

// Start runs `mailtower serve` and waits until the milter port accepts.
func (m *Mailtower) Start() error {
	p, err := startProc("mailtower", m.Log, mailtowerBin, "serve", "--config", m.Config)
	if err != nil {
		return err
	}
	m.p = p
	if err := p.waitReady(time.Minute, func() error { return dialable(m.MilterAddr()) }); err != nil {
		p.stop()
		return err
	}
	return nil
}

// Stop sends SIGTERM (mailtower finishes messages in flight) and waits.
func (m *Mailtower) Stop() {
	if m != nil && m.p != nil {
		m.p.stop()
	}
}

// Kill ends `mailtower serve` with SIGKILL: nothing is finished or flushed.
func (m *Mailtower) Kill() {
	if m != nil && m.p != nil {
		m.p.kill()
	}
}

// CLI runs `mailtower --config FILE args...` and returns stdout; a
// non-zero exit is an error carrying stderr.
func (m *Mailtower) CLI(args ...string) (string, error) {
	cmd := exec.Command(mailtowerBin, append([]string{"--config", m.Config}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	noteSettingsChange(args)
	if err != nil {
		return string(out), fmt.Errorf("mailtower %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// QuarantineItem is one row of `mailtower quarantine list --json`, with
// the fields the tests rely on.
type QuarantineItem struct {
	ID        json.RawMessage `json:"id"`
	Category  string          `json:"category"`
	Recipient string          `json:"recipient"`
	Sender    string          `json:"sender"`
	Subject   string          `json:"subject"`
	Score     float64         `json:"score"`
	Reason    string          `json:"reason"`
	Received  string          `json:"received"`
	Expires   string          `json:"expires"`
	Size      int64           `json:"size"`
	State     string          `json:"state"`
}

// Quarantine lists the quarantine, optionally of one category.
func (m *Mailtower) Quarantine(category string) ([]QuarantineItem, error) {
	args := []string{"quarantine", "list", "--json"}
	if category != "" {
		args = append(args, "--category", category)
	}
	out, err := m.CLI(args...)
	if err != nil {
		return nil, err
	}
	var items []QuarantineItem
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		return nil, fmt.Errorf("quarantine list --json: %w\n%s", err, out)
	}
	return items, nil
}
