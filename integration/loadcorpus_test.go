//go:build integration && load

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/evalcorpus"
)

// TestLoadCorpus sends real mail (the evaluation corpus, spam-1 and
// easy-ham-1) through one private Postfix with a trained store, in the
// same run, to: a no-op go-milter; mailtower with the built-in engines
// only; and, when LOAD_SCANNERS has spamd, the default install (built-in
// + spamd) with `when = "always"` and with `when = "uncertain"` (the
// cascade). mailtower learns the older two thirds of the corpus by Date
// (tools/evalsplit, as `make eval`) and the newest third is sent, so the
// classifier is as sure of it as of tomorrow's mail. mailtower is
// restarted with each configuration; the phases alternate per round.
//
// Knobs (environment): LOAD_KIND (all, or one of plain, html,
// large-html, attachment: only the test mail of that kind, repeated up
// to LOAD_MESSAGES), LOAD_MESSAGES (default: the test mail once),
// LOAD_SESSIONS (20 concurrent SMTP sessions, one message each),
// LOAD_ROUNDS (1), LOAD_SCANNERS ("" or "spamd"), LOAD_CPUPROFILE (a file:
// mailtower's built-in phase of the last round writes a CPU profile
// there; needs the binary built with the mailtower_cpuprofile tag,
// MAILTOWER_BUILD_TAGS). Rates are end of DATA replies per second
// (the milter answers before Postfix replies, so every scan is in it).
func TestLoadCorpus(t *testing.T) {
	corpus := evalcorpus.Dir()
	if _, err := os.Stat(filepath.Join(corpus, "spam-1")); err != nil {
		t.Skipf("no corpus in %s (run `make eval` once, or set MAILTOWER_CORPUS)", corpus)
	}
	split := filepath.Join(t.TempDir(), "split")
	out, err := exec.Command("go", "run", "../tools/evalsplit", "-spam", filepath.Join(corpus, "spam-1"),
		"-ham", filepath.Join(corpus, "easy-ham-1"), "-out", split).CombinedOutput()
	if err != nil {
		t.Fatalf("evalsplit: %v\n%s", err, out)
	}
	msgs := corpusMail(t, filepath.Join(split, "test"), os.Getenv("LOAD_KIND"))
	n := envInt("LOAD_MESSAGES", len(msgs))
	sessions, rounds := envInt("LOAD_SESSIONS", 20), envInt("LOAD_ROUNDS", 1)
	withSpamd := strings.Contains(os.Getenv("LOAD_SCANNERS"), "spamd")

	noop, err := startNoopMilter()
	if err != nil {
		t.Fatal(err)
	}
	defer noop.close()
	e := NewEnv(t, EnvOptions{Domains: []string{"load.test"}, NoClamd: true, NoSpamd: !withSpamd,
		LogLevel: "info", ExtraMaster: noop.masterEntry()})
	e.Sink.SetDiscard(true)
	e.addDomain(t, "load.test")
	for _, class := range []string{"spam", "ham"} {
		if _, err := e.Mailtower.CLI("learn", class, filepath.Join(split, "train", class)); err != nil {
			t.Fatal(err)
		}
	}
	base, err := os.ReadFile(e.Mailtower.Config)
	if err != nil {
		t.Fatal(err)
	}
	phases := []*corpusPhase{{name: "no-op milter", addr: noop.smtpAddr()},
		{name: "built-in only", addr: e.Postfix.Addr(), config: withoutSpamd(string(base))}}
	if withSpamd {
		phases = append(phases,
			&corpusPhase{name: "spamd always", addr: e.Postfix.Addr(), config: string(base)},
			&corpusPhase{name: "spamd uncertain", addr: e.Postfix.Addr(),
				config: strings.Replace(string(base), "[scanners.spamd]\n", "[scanners.spamd]\nwhen = \"uncertain\"\n", 1)})
	}
	fmt.Printf("load corpus: %d messages (%d distinct, kind %s), %d sessions, %d rounds\n",
		n, len(msgs), orAll(os.Getenv("LOAD_KIND")), sessions, rounds)
	for r := 1; r <= rounds; r++ {
		for _, p := range phases {
			profile := ""
			if r == rounds && p.name == "built-in only" {
				profile = os.Getenv("LOAD_CPUPROFILE")
			}
			if p.config != "" {
				restartMailtower(t, e, p.config, profile)
			}
			// Warm up (untimed): a running daemon has its store loaded
			// and its connections open.
			corpusRun(t, e, p.addr, msgs, min(n, 2*sessions), sessions)
			res := corpusRun(t, e, p.addr, msgs, n, sessions)
			if profile != "" {
				e.Mailtower.Stop() // writes the profile
				restartMailtower(t, e, p.config, "")
			}
			fmt.Printf("round %d %s\n", r, corpusLine(p.name, res))
			p.sum.add(res)
		}
	}
	for _, p := range phases {
		fmt.Printf("total   %s\n", corpusLine(p.name, p.sum))
	}
	fmt.Printf("ratio built-in only/no-op milter: %.2f (goal >= 0.90)\n", phases[1].sum.acceptRate()/phases[0].sum.acceptRate())
	if withSpamd {
		fmt.Printf("ratio spamd uncertain/spamd always: %.2f; spamd always/no-op milter %.2f, spamd uncertain/no-op milter %.2f\n",
			phases[3].sum.acceptRate()/phases[2].sum.acceptRate(),
			phases[2].sum.acceptRate()/phases[0].sum.acceptRate(), phases[3].sum.acceptRate()/phases[0].sum.acceptRate())
	}
}

// corpusPhase is one configuration of TestLoadCorpus and its sums.
type corpusPhase struct {
	name, addr string
	config     string // mailtower.toml ("" = mailtower not involved)
	sum        phaseResult
}

// corpusMail reads the *.txt files below dir (test/spam, test/ham),
// only those of kind unless kind is "" or "all".
func corpusMail(t *testing.T, dir, kind string) [][]byte {
	t.Helper()
	var msgs [][]byte
	for _, class := range []string{"spam", "ham"} {
		files, _ := filepath.Glob(filepath.Join(dir, class, "*.txt"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if kind == "" || kind == "all" || evalcorpus.Kind(raw) == kind {
				msgs = append(msgs, raw)
			}
		}
	}
	if len(msgs) == 0 {
		t.Fatalf("no test mail of kind %q in %s (kinds: %s)", kind, dir, strings.Join(evalcorpus.Kinds, ", "))
	}
	return msgs
}

// withoutSpamd drops the [scanners.spamd] table from a harness config.
func withoutSpamd(config string) string {
	i := strings.Index(config, "[scanners.spamd]\n")
	if i < 0 {
		return config
	}
	j := strings.Index(config[i+1:], "\n[")
	if j < 0 {
		return config[:i]
	}
	return config[:i] + config[i+1+j+1:]
}

// restartMailtower restarts mailtower serve with config; with profile
// set, serve writes a CPU profile there until it stops.
func restartMailtower(t *testing.T, e *Env, config, profile string) {
	t.Helper()
	e.Mailtower.Stop()
	if err := os.WriteFile(e.Mailtower.Config, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if profile != "" {
		os.Setenv("MAILTOWER_CPUPROFILE", profile)
		defer os.Unsetenv("MAILTOWER_CPUPROFILE")
	}
	if err := e.Mailtower.Start(); err != nil {
		t.Fatal(err)
	}
}

// corpusRun sends n messages (msgs in turn) to addr over sessions
// concurrent SMTP sessions and returns when every one was answered.
func corpusRun(t *testing.T, e *Env, addr string, msgs [][]byte, n, sessions int) phaseResult {
	t.Helper()
	mtPid := e.Mailtower.p.cmd.Process.Pid
	cpu0, pf0, mt0 := machineBusy(), groupCPU(e.Postfix.master.cmd.Process.Pid), groupCPU(mtPid)
	next := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
	}()
	var mu sync.Mutex
	codes := map[int]int{}
	var failed error
	var wg sync.WaitGroup
	start := time.Now()
	for s := 0; s < sessions; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := send(addr, "load@sender.example", []string{"rcpt@load.test"}, msgs[i%len(msgs)])
				mu.Lock()
				if err != nil && failed == nil {
					failed = err
				}
				codes[r.Code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	accept := time.Since(start)
	if failed != nil {
		t.Fatalf("send to %s: %v", addr, failed)
	}
	if codes[250] != n {
		fmt.Printf("replies to %s: %v (code: count)\n", addr, codes)
	}
	return phaseResult{n: n, accept: accept, deliver: accept, cpu: machineBusy() - cpu0,
		postfix: groupCPU(e.Postfix.master.cmd.Process.Pid) - pf0, mt: groupCPU(mtPid) - mt0}
}

// corpusLine is one printed result of TestLoadCorpus.
func corpusLine(name string, p phaseResult) string {
	return fmt.Sprintf("%-16s %5d answered in %7.2fs (%6.1f msg/s); CPU ms/msg: machine %.2f, postfix %.2f, mailtower %.2f",
		name+":", p.n, p.accept.Seconds(), p.acceptRate(), p.cpuPerMsg(), p.perMsg(p.postfix), p.perMsg(p.mt))
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}
