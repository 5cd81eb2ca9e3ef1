package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mailtower.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDesignKeys(t *testing.T) {
	p := write(t, `
data_dir = "/srv/mt"
[milter]
listen = "unix:/var/spool/postfix/mailtower/milter.sock"
[policyd]
listen = "127.0.0.1:10040"
[reinject]
smtp = "127.0.0.1:10026"
[scanners.clamd]
address = "unix:/run/clamav/clamd.ctl"
[scanners.spamd]
address = "127.0.0.1:783"
timeout = "20s"
[scanners.rspamd]
address = "http://127.0.0.1:11333"
[greylist]
delay = "5m"
[defaults]
spam_level = 4
spam_action = "tag"
virus_action = "delete"
content_action = "pass"
max_size = "10MB"
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/srv/mt" || c.Scanners.Clamd == nil || c.Scanners.Spamd.Timeout.D() != 20*time.Second ||
		c.Scanners.Rspamd == nil || c.Greylist.Delay.D() != 5*time.Minute || c.Defaults.MaxSize != 10*MB ||
		c.Defaults.SpamLevel != 4 || c.Defaults.VirusAction != "delete" {
		t.Fatalf("loaded %+v", c)
	}
	if c.Scanners.Clamd.Timeout.D() != defaultScannerTimeout || c.Scanners.Clamd.OnError != "tempfail" {
		t.Fatalf("scanner defaults not applied: %+v", c.Scanners.Clamd)
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	p := write(t, `
data_dir = "/x"
bogus_key = 1
[milter]
listen = "127.0.0.1:8891"
[scanners.clamd]
address = "127.0.0.1:3310"
on_error = "ignore"
when = "uncertain"
[defaults]
spam_level = 9
spam_action = "bounce"
virus_action = "pass"
`)
	_, err := Load(p)
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("want CheckError, got %v", err)
	}
	msg := ce.Error()
	for _, want := range []string{"bogus_key", "milter.listen", "scanners.clamd.address", "on_error", `scanners.clamd.when "uncertain"`, "spam_level 9",
		`spam_action "bounce"`, `virus_action "pass"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}
	if len(ce.Problems) != 8 {
		t.Errorf("got %d problems, want all 8 reported at once:\n%s", len(ce.Problems), msg)
	}
}

func TestBadValueNamesIt(t *testing.T) {
	_, err := Load(write(t, "[defaults]\nmax_size = \"12 parsecs\"\n"))
	if err == nil || !strings.Contains(err.Error(), "12 parsecs") {
		t.Fatalf("want an error naming the bad size, got %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Fatal("a missing file must be an error")
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		bad  bool
	}{
		{"25MB", 25_000_000, false}, {"25 MiB", 25 << 20, false}, {"1048576", 1 << 20, false},
		{"1.5GB", 1_500_000_000, false}, {"10kb", 10_000, false}, {"", 0, true}, {"-1MB", 0, true}, {"5 XB", 0, true},
	} {
		got, err := ParseByteSize(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v", tc.in, got, err)
		}
	}
	if s := (25 * MB).String(); s != "25MB" {
		t.Errorf("String = %q", s)
	}
}

func TestResolvePath(t *testing.T) {
	t.Setenv(EnvPath, "/env/path.toml")
	if got := ResolvePath(""); got != "/env/path.toml" {
		t.Errorf("env: %s", got)
	}
	if got := ResolvePath("/flag.toml"); got != "/flag.toml" {
		t.Errorf("flag: %s", got)
	}
	t.Setenv(EnvPath, "")
	if got := ResolvePath(""); got != DefaultPath {
		t.Errorf("default: %s", got)
	}
}

func TestDefaultsPassCheck(t *testing.T) {
	if errs := Default().Check(); len(errs) != 0 {
		t.Fatalf("defaults have problems: %v", errs)
	}
}

func TestParseReinject(t *testing.T) {
	for _, tc := range []struct {
		in, network, address string
		ok                   bool
	}{
		{DefaultReinject, "unix", "/var/spool/postfix/public/mailtower-reinject", true},
		{"unix:/srv/q/public/r.sock", "unix", "/srv/q/public/r.sock", true},
		{"127.0.0.1:10026", "tcp", "127.0.0.1:10026", true},
		{"[::1]:10026", "tcp", "[::1]:10026", true},
		{"127.0.0.9:10026", "tcp", "127.0.0.9:10026", true},
		{"0.0.0.0:10026", "", "", false},
		{"192.0.2.1:10026", "", "", false},
		{"localhost:10026", "", "", false},
		{"unix:/var/spool/postfix/private/reinject", "", "", false},
		{"unix:/var/spool/postfix/mailtower/reinject.sock", "", "", false},
		{"unix:public/reinject", "", "", false},
		{"unix:/q/public/../public/x", "", "", false},
		{"10026", "", "", false},
	} {
		n, a, err := ParseReinject(tc.in)
		if (err == nil) != tc.ok || n != tc.network || a != tc.address {
			t.Errorf("ParseReinject(%q) = %q, %q, %v", tc.in, n, a, err)
		}
	}
}

// The outbound spam settings are checked: a level outside 0-5 or a
// negative held_per_hour is reported.
func TestOutboundSpamSettingsChecked(t *testing.T) {
	p := write(t, `
data_dir = "/x"
[sasl]
outbound_spam_level = 6
held_per_hour = -1
`)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "sasl.outbound_spam_level 6") || !strings.Contains(err.Error(), "held_per_hour") {
		t.Errorf("Load = %v, want both problems", err)
	}
	if d := Default().SASL; d.OutboundSpamLevel != 1 || d.HeldPerHour != 3 {
		t.Errorf("defaults %+v", d)
	}
}
