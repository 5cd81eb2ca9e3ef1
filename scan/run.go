package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Engine is a configured Scanner with its limits and failure policy.
type Engine struct {
	Scanner Scanner
	// Timeout bounds one Scan call; 0 means only the caller's context.
	Timeout time.Duration
	// SkipOnError is the admin's explicit choice to accept mail this engine
	// could not scan; by default an engine failure tempfails the message.
	SkipOnError bool
	// MaxSize skips messages larger than this (0 = no limit).
	MaxSize int64
	// WhenUncertain runs this engine only after the others, and only
	// when their spam evidence leaves the verdict uncertain (the current
	// Combiner is a Certainty that says so); otherwise it is skipped
	// and listed in Report.Skipped as "NAME (certain)".
	WhenUncertain bool
}

// Certainty is a Combiner that can tell when spam evidence is decisive at
// every level whatever a further engine would add.
type Certainty interface {
	Certain(spam []Finding) bool
}

// EngineError is an engine failure that decides the message's fate.
type EngineError struct {
	Engine string
	Err    error
}

// Error names the engine and the cause.
func (e *EngineError) Error() string { return fmt.Sprintf("scanner %s: %v", e.Engine, e.Err) }

// Unwrap returns the cause.
func (e *EngineError) Unwrap() error { return e.Err }

// Report is the outcome of running every engine on one message.
type Report struct {
	Findings []Finding
	// Skipped lists engines that failed with SkipOnError set, or were
	// skipped by size; the message was not scanned by them.
	Skipped []string
	// Ran lists the engines that scanned the message to the end, in the
	// order they were given: what X-Mailtower-Scanned names.
	Ran []string
	// Durations is each engine's scan time, for logs and metrics.
	Durations map[string]time.Duration
}

// Observer is told about every engine run (metrics).
type Observer func(engine string, d time.Duration, err error)

// Run scans msg with every engine concurrently. The first engine failure
// that is not SkipOnError cancels the others and is returned as an
// *EngineError: the caller must tempfail, never pass.
func Run(ctx context.Context, engines []Engine, msg *Message, observe Observer) (*Report, error) {
	rep := &Report{Durations: make(map[string]time.Duration, len(engines))}
	var first, later []Engine
	for _, e := range engines {
		if e.WhenUncertain {
			later = append(later, e)
		} else {
			first = append(first, e)
		}
	}
	if err := runAll(ctx, first, msg, observe, rep); err != nil || len(later) == 0 {
		return rep, err
	}
	var spam []Finding
	for _, f := range rep.Findings {
		if f.Category == Spam {
			spam = append(spam, f)
		}
	}
	if c, ok := currentCombiner().(Certainty); ok && c.Certain(spam) {
		for _, e := range later {
			rep.Skipped = append(rep.Skipped, e.Scanner.Name()+" (certain)")
		}
		return rep, nil
	}
	return rep, runAll(ctx, later, msg, observe, rep)
}

// runAll runs engines concurrently, adding to rep.
func runAll(ctx context.Context, engines []Engine, msg *Message, observe Observer, rep *Report) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	ran := make([]bool, len(engines))
	for i, e := range engines {
		if e.MaxSize > 0 && msg.Size() > e.MaxSize {
			rep.Skipped = append(rep.Skipped, e.Scanner.Name()+" (size)")
			continue
		}
		wg.Add(1)
		go func(e Engine) {
			defer wg.Done()
			findings, d, err := runOne(ctx, e, msg)
			if observe != nil {
				observe(e.Scanner.Name(), d, err)
			}
			mu.Lock()
			defer mu.Unlock()
			rep.Durations[e.Scanner.Name()] = d
			switch {
			case err == nil:
				rep.Findings = append(rep.Findings, findings...)
				ran[i] = true
			case e.SkipOnError:
				rep.Skipped = append(rep.Skipped, e.Scanner.Name()+" (error)")
			case firstErr == nil:
				firstErr = &EngineError{Engine: e.Scanner.Name(), Err: err}
				cancel()
			}
		}(e)
	}
	wg.Wait()
	for i, e := range engines {
		if ran[i] {
			rep.Ran = append(rep.Ran, e.Scanner.Name())
		}
	}
	return firstErr
}

func runOne(ctx context.Context, e Engine, msg *Message) (findings []Finding, d time.Duration, err error) {
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	start := time.Now()
	defer func() {
		// A scanner that panics on hostile input must not take the daemon
		// down nor let the message through: it is an engine failure.
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		d = time.Since(start)
	}()
	findings, err = e.Scanner.Scan(ctx, msg)
	if err == nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s", e.Timeout)
	}
	return findings, d, err
}
