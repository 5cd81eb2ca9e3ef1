package scan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type fakeScanner struct {
	name     string
	findings []Finding
	err      error
	delay    time.Duration
	panics   bool
}

func (f fakeScanner) Name() string { return f.name }

func (f fakeScanner) Scan(ctx context.Context, _ *Message) ([]Finding, error) {
	if f.panics {
		panic("hostile input")
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return f.findings, f.err
}

func msg(size int) *Message {
	return NewMessage(Envelope{}, strings.NewReader(strings.Repeat("x", size)), int64(size))
}

func TestRun(t *testing.T) {
	spam := Finding{Scanner: "a", Category: Spam, Score: 3}
	virus := Finding{Scanner: "b", Category: Virus, Rule: "V"}
	for _, tc := range []struct {
		name     string
		engines  []Engine
		wantErr  string
		findings int
		skipped  []string
		ran      []string // in engine order, whoever finished first
	}{
		{"all findings collected", []Engine{{Scanner: fakeScanner{name: "a", findings: []Finding{spam}, delay: 20 * time.Millisecond}},
			{Scanner: fakeScanner{name: "b", findings: []Finding{virus}}}}, "", 2, nil, []string{"a", "b"}},
		{"failure tempfails", []Engine{{Scanner: fakeScanner{name: "a", findings: []Finding{spam}}},
			{Scanner: fakeScanner{name: "b", err: errors.New("refused")}}}, "scanner b: refused", 0, nil, nil},
		{"explicit skip on error", []Engine{{Scanner: fakeScanner{name: "b", err: errors.New("refused")}, SkipOnError: true},
			{Scanner: fakeScanner{name: "c"}}}, "", 0, []string{"b (error)"}, []string{"c"}},
		{"timeout is a failure", []Engine{{Scanner: fakeScanner{name: "slow", delay: time.Minute}, Timeout: 20 * time.Millisecond}},
			"scanner slow", 0, nil, nil},
		{"panic is a failure, not a pass", []Engine{{Scanner: fakeScanner{name: "p", panics: true}}}, "panic", 0, nil, nil},
		{"too big for an engine", []Engine{{Scanner: fakeScanner{name: "s", findings: []Finding{spam}}, MaxSize: 10}},
			"", 0, []string{"s (size)"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), tc.engines, msg(100), nil)
			if tc.wantErr != "" {
				var ee *EngineError
				if err == nil || !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want EngineError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != tc.findings || strings.Join(rep.Skipped, ",") != strings.Join(tc.skipped, ",") {
				t.Fatalf("findings %d skipped %v; want %d %v", len(rep.Findings), rep.Skipped, tc.findings, tc.skipped)
			}
			if strings.Join(rep.Ran, ",") != strings.Join(tc.ran, ",") {
				t.Errorf("ran %q, want %q", rep.Ran, tc.ran)
			}
		})
	}
}

// barrierScanner returns only once every scanner of the barrier has
// started: run one after the other, they would never finish.
type barrierScanner struct {
	name    string
	started chan struct{}
	all     chan struct{}
}

func (b barrierScanner) Name() string { return b.name }

func (b barrierScanner) Scan(ctx context.Context, _ *Message) ([]Finding, error) {
	b.started <- struct{}{}
	select {
	case <-b.all:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestRunIsConcurrent(t *testing.T) {
	started, all := make(chan struct{}, 4), make(chan struct{})
	var engines []Engine
	for i := 0; i < 4; i++ {
		engines = append(engines, Engine{Scanner: barrierScanner{string(rune('a' + i)), started, all}})
	}
	go func() {
		for i := 0; i < 4; i++ {
			<-started
		}
		close(all)
	}()
	// The deadline only turns a deadlock (sequential engines) into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Run(ctx, engines, msg(1), nil); err != nil {
		t.Fatalf("engines did not run concurrently: %v", err)
	}
}

func TestDecide(t *testing.T) {
	findings := []Finding{
		{Scanner: "spamd", Category: Spam, Rule: "SA", Score: 4, Rules: []string{"X", "Y"}},
		{Scanner: "bayes", Category: Spam, Rule: "BAYES_99", Score: 3.5},
		{Scanner: "rules", Category: Content, Rule: "block-filetype exe", Reason: "exe", Recipients: []string{"bob@a.test"}},
	}
	for _, tc := range []struct {
		name, rcpt string
		threshold  float64
		allowed    bool
		want       Category
	}{
		{"spam sums scores", "x@a.test", 5, false, Spam},
		{"below threshold", "x@a.test", 8, false, Clean},
		{"scoped content beats spam", "bob@a.test", 5, false, Content},
		{"allowed sender skips spam", "x@a.test", 5, true, Clean},
		{"allowed sender keeps content", "bob@a.test", 5, true, Content},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Decide(findings, tc.rcpt, tc.threshold, tc.allowed)
			if v.Category != tc.want || v.Score != 7.5 {
				t.Fatalf("verdict %s score %v, want %s 7.5", v.Category, v.Score, tc.want)
			}
		})
	}
	v := Decide(append(findings, Finding{Category: Virus, Rule: "EICAR", Reason: "virus EICAR"}), "bob@a.test", 5, false)
	if v.Category != Virus || v.Findings[0].Rule != "EICAR" || v.Reason() != "virus EICAR" {
		t.Fatalf("virus must win and come first: %+v", v)
	}
	if got := strings.Join(v.RuleNames(), ","); got != "EICAR,block-filetype exe,SA,X,Y,BAYES_99" {
		t.Fatalf("rule names %s", got)
	}
}

type fixedCombiner struct{}

func (fixedCombiner) Combine(spam []Finding) (float64, []Finding) {
	out := append([]Finding(nil), spam...)
	for i := range out {
		out[i].Score = 1
	}
	return 42, out
}

// Decide asks the current combiner for the spam score; without one it
// sums, as before the combiner.
func TestDecideUsesCombiner(t *testing.T) {
	fs := []Finding{{Scanner: "a", Category: Spam, Rule: "A", Score: 2}, {Scanner: "b", Category: Spam, Rule: "B", Score: 2}}
	if v := Decide(fs, "", 5, false); v.Score != 4 || v.Category != Clean {
		t.Fatalf("sum: %+v", v)
	}
	SetCombiner(fixedCombiner{})
	defer SetCombiner(nil)
	v := Decide(fs, "", 5, false)
	if v.Score != 42 || v.Category != Spam || len(v.Findings) != 2 || v.Findings[0].Score != 1 {
		t.Fatalf("combined: %+v", v)
	}
	if fs[0].Score != 2 {
		t.Error("Decide changed its input")
	}
}

// certainAbove is a combiner certain when the summed score is at least
// its value.
type certainAbove float64

func (c certainAbove) Combine(spam []Finding) (float64, []Finding) {
	return SumCombiner{}.Combine(spam)
}
func (c certainAbove) Certain(spam []Finding) bool {
	s, _ := SumCombiner{}.Combine(spam)
	return s >= float64(c)
}

// An engine set to run when uncertain runs after the others, and only
// when the combiner is not certain of their evidence.
func TestRunCascade(t *testing.T) {
	builtin := Engine{Scanner: fakeScanner{name: "builtin", findings: []Finding{{Scanner: "builtin", Category: Spam, Score: 3}}}}
	spamd := Engine{Scanner: fakeScanner{name: "spamd", findings: []Finding{{Scanner: "spamd", Category: Spam, Score: 4}}}, WhenUncertain: true}
	defer SetCombiner(nil)
	for _, tc := range []struct {
		name      string
		c         Combiner
		wantSpamd bool
	}{
		{"sum combiner: never certain", SumCombiner{}, true},
		{"uncertain", certainAbove(10), true},
		{"certain", certainAbove(2), false},
	} {
		SetCombiner(tc.c)
		rep, err := Run(context.Background(), []Engine{spamd, builtin}, msg(10), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, ran := rep.Durations["spamd"]
		if ran != tc.wantSpamd || len(rep.Findings) != map[bool]int{true: 2, false: 1}[tc.wantSpamd] {
			t.Errorf("%s: spamd ran %v, findings %v, skipped %v", tc.name, ran, rep.Findings, rep.Skipped)
		}
		if !tc.wantSpamd && (len(rep.Skipped) != 1 || rep.Skipped[0] != "spamd (certain)") {
			t.Errorf("%s: skipped %v", tc.name, rep.Skipped)
		}
	}
}
