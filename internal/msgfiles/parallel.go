package msgfiles

import (
	"io"
	"sync"
)

// Each walks paths like Walk and runs work on every message on up to
// workers goroutines, then calls emit with each result in the order the
// messages were found (so output is deterministic). At most a few
// messages per worker are held in memory at once. emit's error stops the
// walk and is returned.
func Each[R any](paths []string, stdin io.Reader, workers int, work func(Message) R, emit func(Message, R) error) error {
	if workers < 1 {
		workers = 1
	}
	type job struct {
		msg  Message
		done chan R
	}
	jobs := make(chan *job)
	order := make(chan *job, 4*workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.done <- work(j.msg)
			}
		}()
	}
	stop := make(chan struct{})
	walkErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		walkErr <- Walk(paths, stdin, func(m Message) error {
			j := &job{msg: m, done: make(chan R, 1)}
			select {
			case order <- j:
			case <-stop:
				return ErrStop
			}
			select {
			case jobs <- j:
			case <-stop:
				return ErrStop
			}
			return nil
		})
	}()
	var emitErr error
	for j := range order {
		if emitErr != nil {
			// Stopping: a queued job may never reach a worker, so its
			// result is not awaited.
			continue
		}
		if err := emit(j.msg, <-j.done); err != nil {
			emitErr = err
			close(stop)
		}
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	return <-walkErr
}
