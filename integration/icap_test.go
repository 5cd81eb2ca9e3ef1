//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/scan/icap"
)

// ICAP is a private c-icap (Debian packages c-icap,
// libc-icap-mod-virus-scan) on a loopback port whose virus_scan service
// asks the Env's clamd through c-icap's clamd_mod. (The Debian module also
// has clamav_mod, libclamav in-process, but it reads only libclamav's
// compiled-in database directory, /var/lib/clamav, not a test database.)
type ICAP struct {
	Dir  string
	Port int
	p    *proc
}

// startICAP writes c-icap.conf into dir and starts c-icap in front of the
// clamd on clamdPort. Every file type group is scanned and objects up to
// 30 MB: c-icap answers 204 unscanned for what falls outside those.
func startICAP(dir string, clamdPort int) (*ICAP, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("c-icap: %w", err)
	}
	conf := fmt.Sprintf(`PidFile %[1]s/c-icap.pid
CommandsSocket %[1]s/c-icap.ctl
Port 127.0.0.1:%[2]d
StartServers 1
MaxServers 2
MinSpareThreads 2
MaxSpareThreads 4
ThreadsPerChild 4
Timeout 60
TmpDir %[3]s
DebugLevel 1
ModulesDir /usr/lib/x86_64-linux-gnu/c_icap
ServicesDir /usr/lib/x86_64-linux-gnu/c_icap
TemplateDir /usr/share/c_icap/templates/
TemplateDefaultLanguage en
LoadMagicFile /etc/c-icap/c-icap.magic
ServerLog %[1]s/server.log
AccessLog %[1]s/access.log
Module common clamd_mod.so
clamd_mod.ClamdHost 127.0.0.1
clamd_mod.ClamdPort %[4]d
Service virus_scan virus_scan.so
virus_scan.DefaultEngine clamd
virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GRAPHICS STREAM DOCUMENT
virus_scan.MaxObjectSize 30M
`, dir, port, tmp, clamdPort)
	if arch, err := filepath.Glob("/usr/lib/*/c_icap/virus_scan.so"); err == nil && len(arch) == 1 {
		conf = strings.ReplaceAll(conf, "/usr/lib/x86_64-linux-gnu/c_icap", filepath.Dir(arch[0]))
	}
	if err := os.WriteFile(filepath.Join(dir, "c-icap.conf"), []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("c-icap: %w", err)
	}
	c := &ICAP{Dir: dir, Port: port}
	return c, c.Start()
}

// Addr is the service's address in mailtower's config syntax.
func (c *ICAP) Addr() string { return fmt.Sprintf("icap://127.0.0.1:%d/virus_scan", c.Port) }

// Start (re)starts c-icap and waits until its service answers OPTIONS.
func (c *ICAP) Start() error {
	if c.p != nil && !c.p.exited() {
		return fmt.Errorf("c-icap: already running")
	}
	os.Remove(filepath.Join(c.Dir, "c-icap.pid"))
	p, err := startProc("c-icap", filepath.Join(c.Dir, "c-icap.out"), "c-icap", "-N", "-f", filepath.Join(c.Dir, "c-icap.conf"))
	if err != nil {
		return err
	}
	c.p = p
	s, err := icap.New(icap.Options{Address: c.Addr(), Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	if err := p.waitReady(time.Minute, func() error { return s.Ping(context.Background()) }); err != nil {
		p.stop()
		return err
	}
	return nil
}

// Stop stops c-icap and its children; its port then refuses connections.
func (c *ICAP) Stop() { c.p.stop() }

// TestICAPEngine: with the ICAP engine as mailtower's only antivirus
// engine (clamd sits behind c-icap, not in mailtower's config), an EICAR
// attachment sent through real Postfix is quarantined as a virus named by
// the icap engine, and so is EICAR behind an RFC 2231 boundary, found in
// the part mailtower decoded; with c-icap stopped the same message is
// refused with a 4xx and nothing is delivered, queued or quarantined.
func TestICAPEngine(t *testing.T) {
	e := NewEnv(t, EnvOptions{ICAP: true, NoSpamd: true})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "virus.test")

	enc := base64.StdEncoding.EncodeToString([]byte(eicar))
	msg := func(subject string) []byte {
		return message([]string{"From: <mallory@sender.example>", "To: <dave@virus.test>", "Subject: " + subject,
			`Content-Type: multipart/mixed; boundary="b1"`},
			"--b1\nContent-Type: text/plain\n\nPlease see the attached invoice.\n"+
				"--b1\nContent-Type: application/octet-stream; name=\"invoice.com\"\n"+
				"Content-Disposition: attachment; filename=\"invoice.com\"\nContent-Transfer-Encoding: base64\n\n"+
				enc+"\n--b1--\n")
	}
	e.sendOK(t, "mallory@sender.example", []string{"dave@virus.test"}, msg("invoice over ICAP"))
	e.settle(t)
	for _, m := range e.Sink.Messages() {
		if bytes.Contains(m.Data, []byte(enc)) || bytes.Contains(m.Data, []byte(eicar)) {
			t.Fatalf("the EICAR file reached the customer server (to %v)", m.To)
		}
	}
	items := e.quarantined(t, "virus", "dave@virus.test")
	if len(items) != 1 {
		t.Fatalf("quarantine list --category virus has %d entries for dave@virus.test, want 1", len(items))
	}
	checkQuarantineItem(t, items[0], "virus", "mallory@sender.example", "invoice over ICAP")
	if !strings.Contains(items[0].Reason, "Eicar-Test") || !strings.Contains(items[0].Reason, "ICAP") {
		t.Errorf("reason %q does not name the signature and the ICAP engine", items[0].Reason)
	}
	t.Logf("quarantined: %s", items[0].Reason)

	// The ICAP engine gets the decoded parts too (scan/avparts): EICAR
	// behind an RFC 2231 boundary, which clamd behind c-icap does not
	// split, is found in the part mailtower decoded.
	e.sendOK(t, "mallory@sender.example", []string{"erin@virus.test"}, message([]string{
		"From: <mallory@sender.example>", "To: <erin@virus.test>", "Subject: split boundary", "MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary*0="b"; boundary*1="1"`},
		"--b1\nContent-Type: text/plain\n\nSee attached.\n--b1\nContent-Type: application/octet-stream; name=\"e.com\"\n"+
			"Content-Transfer-Encoding: base64\n\n"+enc+"\n--b1--\n"))
	e.settle(t)
	if v := e.quarantined(t, "virus", "erin@virus.test"); len(v) != 1 || !strings.Contains(v[0].Reason, "ICAP engine in part 2 (e.com)") {
		t.Fatalf("virus entries for erin@virus.test: %+v, want one found by the ICAP engine in part 2", v)
	} else {
		t.Logf("quarantined: %s", v[0].Reason)
	}

	delivered := e.Sink.Count() // settle markers and virus notices
	e.ICAP.Stop()
	r, err := send(e.Postfix.Addr(), "mallory@sender.example", []string{"dave@virus.test"}, msg("while c-icap is down"))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if r.Code/100 != 4 {
		t.Fatalf("c-icap down: reply %v, want 4xx", r)
	}
	t.Logf("c-icap down: %v", r)
	if q, err := e.Postfix.Queue(); err != nil || len(q) != 0 {
		t.Errorf("Postfix queued a tempfailed message: %+v %v", q, err)
	}
	if n := e.Sink.Count(); n != delivered {
		t.Errorf("%d messages delivered while c-icap was down", n-delivered)
	}
	if items := e.quarantined(t, "", "dave@virus.test"); len(items) != 1 {
		t.Errorf("quarantine has %d entries for dave@virus.test, want the first one only", len(items))
	}
}
