//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// Postfix is a private Postfix instance: its own configuration, queue and
// data directories under one test directory, its own master process, and
// two SMTP listeners on loopback — the gateway's port (with the milter)
// and the re-injection port (without it, for release and notifications).
type Postfix struct {
	Dir string // config_directory: main.cf, master.cf
	Log string // maillog_file, captured from master's stdout
	// MailLog, when set, is maillog_file: Postfix's postlogd writes it
	// (EnvOptions.MailLogFile).
	MailLog      string
	SMTPPort     int // smtpd with smtpd_milters
	ReinjectPort int // smtpd without milters
	// ReinjectSocket, when set, is the re-injection listener's unix socket
	// (queue/public/NAME) instead of ReinjectPort.
	ReinjectSocket string
	master         *proc
}

// PostfixOptions shape main.cf for one instance.
type PostfixOptions struct {
	// Domains are the relay_domains; mail for each goes to [127.0.0.1]:SinkPort.
	Domains  []string
	SinkPort int
	// MilterPort is where mailtower's milter listens; 0 = no milter.
	MilterPort int
	// MilterDefaultAction is what Postfix does when the milter is
	// unreachable: "tempfail" (mailtower's setting) unless set.
	MilterDefaultAction string
	// PolicyPort, when set, adds check_policy_service at RCPT time.
	PolicyPort int
	// ExtraMaster is appended to master.cf.
	ExtraMaster string
	// MainExtra is appended to main.cf; a parameter set there overrides
	// the one above (Postfix uses the last setting).
	MainExtra string
	// ReinjectEntry is the master.cf entry of the re-injection listener
	// as `mailtower postfix-config --master` prints it, so that the tests
	// run the entry admins install; "" = a minimal one without milter.
	ReinjectEntry string
}

const mainCF = `# Private Postfix instance for mailtower's integration tests.
compatibility_level = 3.6
queue_directory = {{.Dir}}/queue
data_directory = {{.Dir}}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = gw.mailtower.test
mydomain = mailtower.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = {{join .Domains ", "}}
transport_maps = inline:{ {{range $i, $d := .Domains}}{{if $i}}, {{end}}{{$d}}=smtp:[127.0.0.1]:{{$.SinkPort}}{{end}} }
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination{{if .PolicyPort}}, check_policy_service inet:127.0.0.1:{{.PolicyPort}}{{end}}
smtpd_peername_lookup = no
{{if .MilterPort}}smtpd_milters = inet:127.0.0.1:{{.MilterPort}}
{{end}}milter_default_action = {{.MilterDefaultAction}}
message_size_limit = 26214400
maximal_queue_lifetime = 7d
bounce_queue_lifetime = 7d
smtpd_forbid_bare_newline = yes
smtpd_forbid_bare_newline_exclusions =
maillog_file = /dev/stdout
# Short retry delays so that a deferred message is retried within seconds
# once the customer server is back.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
{{.MainExtra}}`

// masterCF lists only the services a relay-only gateway needs, none of
// them chrooted (the test directory is not a chroot jail).
const masterCF = `127.0.0.1:{{.SMTPPort}} inet n - n - - smtpd
{{if .ReinjectEntry}}{{.ReinjectEntry}}{{else}}127.0.0.1:{{.ReinjectPort}} inet n - n - - smtpd
  -o smtpd_milters=
  -o receive_override_options=no_milters
{{end}}
{{.Services}}{{.ExtraMaster}}
`

// newPostfix chooses the instance's ports; Start configures and starts it.
func newPostfix(dir string) (*Postfix, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	return &Postfix{Dir: dir, Log: filepath.Join(dir, "postfix.log"), SMTPPort: ports[0], ReinjectPort: ports[1]}, nil
}

// Start writes the configuration into pf.Dir, creates the queue and starts
// master in the foreground (-d) with its log going to a file.
func (pf *Postfix) Start(o PostfixOptions) error {
	if o.MilterDefaultAction == "" {
		o.MilterDefaultAction = "tempfail"
	}
	dir := pf.Dir
	services, err := postfixServices()
	if err != nil {
		return fmt.Errorf("postfix: %w", err)
	}
	data := struct {
		PostfixOptions
		*Postfix
		Services string
	}{o, pf, services}
	for name, text := range map[string]string{"main.cf": withoutOverridden(mainCF, o.MainExtra), "master.cf": masterCF} {
		if err := writeTemplate(filepath.Join(dir, name), text, data); err != nil {
			return fmt.Errorf("postfix: %w", err)
		}
	}
	for _, d := range []string{"queue", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("postfix: %w", err)
		}
	}
	// post-install creates the queue's sub-directories with the owners
	// and modes Postfix insists on; the data directory belongs to postfix.
	if _, err := run("/usr/lib/postfix/sbin/post-install",
		"config_directory="+dir, "queue_directory="+dir+"/queue", "data_directory="+dir+"/data",
		"meta_directory=/etc/postfix", "create-missing"); err != nil {
		return fmt.Errorf("postfix: %w", err)
	}
	if _, err := run("chown", "postfix", dir+"/data"); err != nil {
		return fmt.Errorf("postfix: %w", err)
	}
	if _, err := run("postfix", "-c", dir, "check"); err != nil {
		return fmt.Errorf("postfix: %w", err)
	}
	return pf.startMaster()
}

// startMaster runs master on the written configuration and waits until
// its listeners accept connections.
func (pf *Postfix) startMaster() error {
	var err error
	pf.master, err = startProc("postfix", pf.Log, "/usr/lib/postfix/sbin/master", "-c", pf.Dir, "-d")
	if err != nil {
		return err
	}
	err = pf.master.waitReady(30*time.Second, func() error {
		if err := dialable(pf.Addr()); err != nil {
			return err
		}
		if pf.ReinjectSocket != "" {
			c, err := net.Dial("unix", pf.ReinjectSocket)
			if err == nil {
				c.Close()
			}
			return err
		}
		return dialable(pf.ReinjectAddr())
	})
	if err != nil {
		pf.Stop()
		return err
	}
	return nil
}

// Addr is the gateway's SMTP address (with milter).
func (pf *Postfix) Addr() string { return fmt.Sprintf("127.0.0.1:%d", pf.SMTPPort) }

// ReinjectAddr is the listener without milter.
func (pf *Postfix) ReinjectAddr() string { return fmt.Sprintf("127.0.0.1:%d", pf.ReinjectPort) }

// ReinjectConfig is [reinject] smtp for this instance: the unix socket
// when ReinjectSocket is set, else ReinjectAddr.
func (pf *Postfix) ReinjectConfig() string {
	if pf.ReinjectSocket != "" {
		return "unix:" + pf.ReinjectSocket
	}
	return pf.ReinjectAddr()
}

// Stop stops master and every Postfix process of this instance.
func (pf *Postfix) Stop() { pf.master.stop() }

// Flush asks Postfix to retry the deferred queue now (postqueue -f).
func (pf *Postfix) Flush() error {
	_, err := run("postqueue", "-c", pf.Dir, "-f")
	return err
}

// QueueEntry is one message in Postfix's queue, from `postqueue -j`.
type QueueEntry struct {
	QueueName  string `json:"queue_name"`
	QueueID    string `json:"queue_id"`
	Sender     string `json:"sender"`
	Recipients []struct {
		Address     string `json:"address"`
		DelayReason string `json:"delay_reason"`
	} `json:"recipients"`
}

// Queue lists the messages in the queue.
func (pf *Postfix) Queue() ([]QueueEntry, error) {
	out, err := run("postqueue", "-c", pf.Dir, "-j")
	if err != nil {
		return nil, err
	}
	var q []QueueEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e QueueEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("postqueue -j: %q: %w", sc.Text(), err)
		}
		q = append(q, e)
	}
	return q, sc.Err()
}

// withoutOverridden drops the lines of the main.cf template that set a
// parameter extra sets again (Postfix would warn about each).
func withoutOverridden(tmpl, extra string) string {
	set := map[string]bool{}
	for _, line := range strings.Split(extra, "\n") {
		if k, _, ok := strings.Cut(line, "="); ok {
			set[strings.TrimSpace(k)] = true
		}
	}
	var out []string
	for _, line := range strings.Split(tmpl, "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && set[strings.TrimSpace(k)] {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// postfixServices returns the master.cf service lines of
// testdata/postfix-services.cf (shared with scripts/test-deb.sh).
func postfixServices() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "postfix-services.cf"))
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			out.WriteString(line)
		}
	}
	return out.String(), nil
}

func writeTemplate(path, text string, data any) error {
	tmpl, err := template.New(filepath.Base(path)).Funcs(template.FuncMap{"join": strings.Join}).Parse(text)
	if err != nil {
		return fmt.Errorf("template %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := tmpl.Execute(f, data); err != nil {
		f.Close()
		return fmt.Errorf("template %s: %w", path, err)
	}
	return f.Close()
}

// LogCount counts the lines of Postfix's log that contain every one of
// the given strings.
func (pf *Postfix) LogCount(all ...string) int {
	b, err := os.ReadFile(pf.Log)
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		ok := true
		for _, s := range all {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			n++
		}
	}
	return n
}
