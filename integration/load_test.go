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
			fmt.Printf("round %d %-18s accepted in %6.2fs (%6.1f msg/s), delivered in %6.2fs (%6.1f msg/s), machine CPU %.2f ms/msg\n",
				r, p.name+":", res.accept.Seconds(), res.acceptRate(), res.deliver.Seconds(), res.deliverRate(), res.cpuPerMsg())
			p.sum.add(res)
		}
	}
	fmt.Printf("total without mailtower: %6.1f msg/s accepted, %6.1f msg/s delivered, machine CPU %.2f ms/msg\n", base.acceptRate(), base.deliverRate(), base.cpuPerMsg())
	fmt.Printf("total with mailtower:    %6.1f msg/s accepted, %6.1f msg/s delivered, machine CPU %.2f ms/msg\n", with.acceptRate(), with.deliverRate(), with.cpuPerMsg())
	fmt.Printf("ratio with/without mailtower: accepted %.2f, delivered %.2f\n",
		with.acceptRate()/base.acceptRate(), with.deliverRate()/base.deliverRate())
	pid := e.Mailtower.p.cmd.Process.Pid
	if rss := peakRSS(pid); rss != "" {
		fmt.Printf("mailtower serve peak RSS (VmHWM): %s\n", rss)
	}
	if cpu, err := cpuTime(pid); err == nil {
		fmt.Printf("mailtower serve CPU time: %.2fs for %d messages (%.2f ms/message)\n",
			cpu.Seconds(), with.n, cpu.Seconds()*1000/float64(with.n))
	}
}

// cpuTime reads a process's user+system CPU time from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces: split after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// phaseResult sums one or more phases.
type phaseResult struct {
	n               int
	accept, deliver time.Duration
	cpu             time.Duration // busy CPU time of the whole machine
}

func (p *phaseResult) add(o phaseResult) {
	p.n += o.n
	p.accept += o.accept
	p.deliver += o.deliver
	p.cpu += o.cpu
}

func (p phaseResult) cpuPerMsg() float64 { return p.cpu.Seconds() * 1000 / float64(p.n) }

func (p phaseResult) acceptRate() float64  { return float64(p.n) / p.accept.Seconds() }
func (p phaseResult) deliverRate() float64 { return float64(p.n) / p.deliver.Seconds() }

// loadPhase runs smtp-source against addr and waits until the sink has
// every message. accept is smtp-source's run time (Postfix and the milter
// said 250 to all); deliver runs until the last one reached the sink.
func loadPhase(t *testing.T, e *Env, addr string, messages, sessions, size int) phaseResult {
	t.Helper()
	before := e.Sink.Count()
	cpu0 := machineBusy()
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
	return phaseResult{n: messages, accept: accept, deliver: time.Since(start), cpu: machineBusy() - cpu0}
}

// machineBusy is the machine's non-idle CPU time so far, from /proc/stat.
// Other users of the machine add to it: compare phases of the same run.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var busy int64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond
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
