//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoad sends the same mail through one private Postfix twice — to the
// listener without milter and to the one with mailtower's milter — using
// Postfix's smtp-source, and prints messages/s for each and the ratio.
// It runs only when MAILTOWER_LOAD=1 (scripts/load.sh sets it); the figures
// are reported, not asserted.
//
// Knobs (environment): LOAD_MESSAGES (2000), LOAD_SESSIONS (20),
// LOAD_SIZE (10240 bytes of payload), LOAD_ROUNDS (2; the phases
// alternate), LOAD_SCANNERS ("" = built-in scanning only; "clamd",
// "spamd" or "clamd,spamd" adds the engines).
func TestLoad(t *testing.T) {
	if os.Getenv("MAILTOWER_LOAD") != "1" {
		t.Skip("load run: MAILTOWER_LOAD=1 (see scripts/load.sh)")
	}
	messages, sessions := envInt("LOAD_MESSAGES", 2000), envInt("LOAD_SESSIONS", 20)
	size, rounds := envInt("LOAD_SIZE", 10240), envInt("LOAD_ROUNDS", 2)
	scanners := os.Getenv("LOAD_SCANNERS")
	e := NewEnv(t, EnvOptions{
		Domains: []string{"load.test"},
		NoClamd: !strings.Contains(scanners, "clamd"),
		NoSpamd: !strings.Contains(scanners, "spamd"),
		// Debug logging of every message would measure the log writer.
		LogLevel: "info",
	})
	e.Sink.SetDiscard(true)
	e.addDomain(t, "load.test")

	fmt.Printf("load: %d messages of %d bytes, %d sessions, %d rounds, scanners: %s\n",
		messages, size, sessions, rounds, orBuiltin(scanners))
	var base, with phaseResult
	for r := 1; r <= rounds; r++ {
		for _, p := range []struct {
			name string
			addr string
			sum  *phaseResult
		}{
			{"without mailtower", e.Postfix.ReinjectAddr(), &base},
			{"with mailtower", e.Postfix.Addr(), &with},
		} {
			res := loadPhase(t, e, p.addr, messages, sessions, size)
			fmt.Printf("round %d %-18s accepted in %6.2fs (%7.1f msg/s), delivered in %6.2fs (%7.1f msg/s)\n",
				r, p.name+":", res.accept.Seconds(), res.acceptRate(), res.deliver.Seconds(), res.deliverRate())
			p.sum.add(res)
		}
	}
	fmt.Printf("total without mailtower: %7.1f msg/s accepted, %7.1f msg/s delivered\n", base.acceptRate(), base.deliverRate())
	fmt.Printf("total with mailtower:    %7.1f msg/s accepted, %7.1f msg/s delivered\n", with.acceptRate(), with.deliverRate())
	fmt.Printf("ratio with/without mailtower: accepted %.2f, delivered %.2f\n",
		with.acceptRate()/base.acceptRate(), with.deliverRate()/base.deliverRate())
	if rss := peakRSS(e.Mailtower.p.cmd.Process.Pid); rss != "" {
		fmt.Printf("mailtower serve peak RSS (VmHWM): %s\n", rss)
	}
}

// phaseResult sums one or more phases.
type phaseResult struct {
	n               int
	accept, deliver time.Duration
}

func (p *phaseResult) add(o phaseResult) {
	p.n += o.n
	p.accept += o.accept
	p.deliver += o.deliver
}

func (p phaseResult) acceptRate() float64  { return float64(p.n) / p.accept.Seconds() }
func (p phaseResult) deliverRate() float64 { return float64(p.n) / p.deliver.Seconds() }

// loadPhase runs smtp-source against addr and waits until the sink has
// every message. accept is smtp-source's run time (Postfix and the milter
// said 250 to all); deliver runs until the last one reached the sink.
func loadPhase(t *testing.T, e *Env, addr string, messages, sessions, size int) phaseResult {
	t.Helper()
	before := e.Sink.Count()
	start := time.Now()
	out, err := exec.Command("smtp-source", "-s", strconv.Itoa(sessions), "-m", strconv.Itoa(messages),
		"-l", strconv.Itoa(size), "-f", "load@sender.example", "-t", "rcpt@load.test",
		"-M", "sender.example", "-S", "load test", addr).CombinedOutput()
	accept := time.Since(start)
	if err != nil {
		t.Fatalf("smtp-source %s: %v\n%s", addr, err, out)
	}
	limit := 10 * time.Minute
	if got := e.Sink.WaitCount(before+messages, limit); got < before+messages {
		t.Fatalf("sink has %d of %d messages after %s", got-before, messages, limit)
	}
	return phaseResult{n: messages, accept: accept, deliver: time.Since(start)}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func orBuiltin(s string) string {
	if s == "" {
		return "built-in only"
	}
	return s
}

// peakRSS reads a process's peak resident set size from /proc.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
