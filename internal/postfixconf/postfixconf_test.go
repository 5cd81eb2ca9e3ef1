package postfixconf

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/config"
)

var update = flag.Bool("update", false, "rewrite contrib/postfix from the generator")

// TestContribMatchesGenerator keeps the shipped snippets equal to what
// `mailtower postfix-config` prints for the default configuration.
func TestContribMatchesGenerator(t *testing.T) {
	cfg := config.Default()
	for name, want := range map[string]string{"main.cf": Main(cfg), "master.cf": Master(cfg), "submission.cf": Submission(cfg)} {
		path := filepath.Join("..", "..", "contrib", "postfix", name)
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s differs from the generator; run go test ./internal/postfixconf -update", path)
		}
	}
}

func TestRequiredLines(t *testing.T) {
	cfg := config.Default()
	m := Main(cfg)
	for _, line := range []string{
		"smtpd_milters = inet:127.0.0.1:8891",
		"milter_default_action = tempfail",
		"message_size_limit = 26214400",
		"maximal_queue_lifetime = 7d",
		"bounce_queue_lifetime = 7d",
		"smtpd_forbid_bare_newline = yes",
		// Callout: refused recipients 550, everything temporary 450.
		"unverified_recipient_reject_code = 550",
		"unverified_recipient_defer_code = 450",
		"unverified_recipient_tempfail_action = defer_if_permit",
		"address_verify_sender = $double_bounce_sender",
		"address_verify_negative_cache = yes",
	} {
		if !strings.Contains(m, line+"\n") {
			t.Errorf("main.cf lacks %q", line)
		}
	}
	ms := Master(cfg)
	if !strings.Contains(ms, "\nmailtower-reinject unix n - n - - smtpd\n") || !strings.Contains(ms, "-o smtpd_milters=\n") {
		t.Errorf("master.cf re-injection entry wrong:\n%s", ms)
	}
}

// The re-injection listener accepts mail for any recipient unscanned: only
// mailtower's own client address may use it (issue 11, item 5).
func TestReinjectListenerForms(t *testing.T) {
	for _, tc := range []struct{ smtp, service, mynetworks string }{
		{"unix:/var/spool/postfix/public/mailtower-reinject", "mailtower-reinject unix n - n - - smtpd", "127.0.0.1/32"},
		{"unix:/srv/pf/queue/public/reinject", "reinject unix n - n - - smtpd", "127.0.0.1/32"},
		{"127.0.0.1:10026", "127.0.0.1:10026 inet n - n - - smtpd", "127.0.0.1/32"},
		{"[::1]:10026", "[::1]:10026 inet n - n - - smtpd", "[::1]/128"},
	} {
		cfg := config.Default()
		cfg.Reinject.SMTP = tc.smtp
		ms := Master(cfg)
		if !strings.Contains(ms, "\n"+tc.service+"\n") || !strings.Contains(ms, "-o mynetworks="+tc.mynetworks+"\n") ||
			strings.Contains(ms, "127.0.0.0/8") || !strings.Contains(ms, "-o smtpd_client_restrictions=permit_mynetworks,reject\n") {
			t.Errorf("%s:\n%s", tc.smtp, ms)
		}
	}
}

func TestChrootedUnixSocket(t *testing.T) {
	cfg := config.Default()
	cfg.Milter.Listen = "unix:/var/spool/postfix/mailtower/milter.sock"
	cfg.Defaults.MaxSize = 50 * config.MB
	m := Main(cfg)
	if !strings.Contains(m, "smtpd_milters = unix:/mailtower/milter.sock\n") {
		t.Errorf("chroot-relative path missing:\n%s", m)
	}
	if !strings.Contains(m, "message_size_limit = 50000000\n") {
		t.Errorf("message_size_limit must follow a larger max_size")
	}
}
