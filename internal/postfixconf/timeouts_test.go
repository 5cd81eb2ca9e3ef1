package postfixconf

import (
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/config"
)

func TestCheckTimeouts(t *testing.T) {
	cfg := config.Default() // decision: 10s wait + 120s timeout
	for _, tc := range []struct{ postconf, want string }{
		{"milter_content_timeout = 300s\n", ""}, // Postfix's default
		{"milter_content_timeout = 140s", ""},
		{"milter_content_timeout = 139s", "too short"},
		{"milter_content_timeout = 2m", "too short"},
		{"milter_content_timeout = 120", "at least 2m20s"},
		{"milter_content_timeout = 1h", ""},
		{"milter_command_timeout = 30s\nmilter_content_timeout = 3m\n", ""},
		{"milter_content_timeout = soon", "want a number"},
		{"", "not in postconf's output"},
	} {
		errs := CheckTimeouts(cfg, tc.postconf)
		got := ""
		if len(errs) > 0 {
			got = errs[0].Error()
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.postconf, got, tc.want)
		}
	}
	// What postfix-config writes always passes, whatever the timeouts.
	cfg.Milter.Timeout = config.Duration(7 * time.Minute)
	cfg.Milter.MaxScanWait = config.Duration(time.Minute)
	for _, line := range strings.Split(Main(cfg), "\n") {
		if strings.HasPrefix(line, "milter_content_timeout") {
			if errs := CheckTimeouts(cfg, line); len(errs) > 0 {
				t.Errorf("generated %q fails the check: %v", line, errs)
			}
		}
	}
}

func TestPostfixDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"150s": 150 * time.Second, "150": 150 * time.Second,
		"3m": 3 * time.Minute, "1h": time.Hour, "2d": 48 * time.Hour, "1w": 7 * 24 * time.Hour} {
		if got, err := PostfixDuration(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "s", "-1s", "1.5m", "10x"} {
		if _, err := PostfixDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
