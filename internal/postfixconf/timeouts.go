package postfixconf

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailtower/mailtower/internal/config"
)

// DecisionMargin is the least time by which Postfix's
// milter_content_timeout must exceed mailtower's longest wait for a
// verdict: the answer and its header and recipient changes still have to
// reach Postfix after the deadline. If Postfix gave up first, it would
// tempfail a message whose differently treated copies mailtower had
// already queued, and the sender's retry would deliver them twice.
const DecisionMargin = 10 * time.Second

// contentSlack is what postfix-config adds to the longest decision; more
// than DecisionMargin, so a generated configuration passes with room.
const contentSlack = 30 * time.Second

// Decision is the longest Postfix waits for mailtower's verdict on one
// message: the wait for a scan slot plus the decision deadline.
func Decision(cfg *config.Config) time.Duration {
	return cfg.Milter.MaxScanWait.D() + cfg.Milter.Timeout.D()
}

// ContentTimeout is the milter_content_timeout postfix-config writes.
func ContentTimeout(cfg *config.Config) time.Duration { return Decision(cfg) + contentSlack }

// CheckTimeouts compares mailtower's decision deadline with the Postfix
// settings in postconf, the output of `postconf milter_content_timeout`
// ("name = value" lines). It returns one error per problem.
func CheckTimeouts(cfg *config.Config, postconf string) []error {
	values := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(postconf))
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), "="); ok {
			values[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	raw, ok := values["milter_content_timeout"]
	if !ok {
		return []error{fmt.Errorf("postfix: milter_content_timeout not in postconf's output")}
	}
	content, err := PostfixDuration(raw)
	if err != nil {
		return []error{fmt.Errorf("postfix: milter_content_timeout: %w", err)}
	}
	if need := Decision(cfg) + DecisionMargin; content < need {
		return []error{fmt.Errorf("postfix: milter_content_timeout = %s is too short: mailtower may take up to %s "+
			"(milter.max_scan_wait %s + milter.timeout %s); set it to at least %s (postfix-config writes %s) "+
			"or lower milter.timeout", raw, Decision(cfg), cfg.Milter.MaxScanWait, cfg.Milter.Timeout,
			need, ContentTimeout(cfg))}
	}
	return nil
}

// PostfixDuration reads a Postfix time value: a number with an optional
// unit s, m, h, d or w (postconf(5); seconds without a unit).
func PostfixDuration(s string) (time.Duration, error) {
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	unit := time.Second
	if n := len(s); n > 0 {
		if u, ok := units[s[n-1]]; ok {
			unit, s = u, s[:n-1]
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: want a number with an optional unit s, m, h, d or w", s)
	}
	return time.Duration(n) * unit, nil
}
