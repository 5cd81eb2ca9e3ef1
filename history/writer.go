package history

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailtower/mailtower/scan"
)

// Writer hands history rows to the store from its own goroutine, in
// batches, so that a message never waits for the history: Record only
// queues. A full queue (the database stalled for long) drops the row and
// counts it; a failed batch is logged and counted. Neither affects mail.
type Writer struct {
	w       WriteFunc
	queue   chan Message
	maxRows int
	log     *slog.Logger
	// Dropped and Failed are told about lost rows (metrics); may be nil.
	dropped func()
	failed  func(rows int)
	done    chan struct{}
	once    sync.Once
	drops   atomic.Int64
}

// WriteFunc writes one batch (Store.Write).
type WriteFunc func(ctx context.Context, msgs []Message) error

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Queue bounds the rows waiting to be written (default 10,000).
	Queue int
	// Batch bounds the rows written in one transaction (default 500).
	Batch int
	Log   *slog.Logger
	// Dropped counts a row dropped because the queue was full; Failed
	// the rows of a batch that could not be written. Either may be nil.
	Dropped func()
	Failed  func(rows int)
}

// NewWriter starts a writer over w; Close stops it.
func NewWriter(w WriteFunc, o WriterOptions) *Writer {
	if o.Queue <= 0 {
		o.Queue = 10_000
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	wr := &Writer{w: w, queue: make(chan Message, o.Queue), maxRows: o.Batch, log: o.Log,
		dropped: o.Dropped, failed: o.Failed, done: make(chan struct{})}
	go wr.run()
	return wr
}

// Record queues m; it never blocks. A nil Writer records nothing.
func (wr *Writer) Record(m Message) {
	if wr == nil {
		return
	}
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	select {
	case wr.queue <- m:
	default:
		// One line per thousand drops: a stalled database must not also
		// flood the log.
		if n := wr.drops.Add(1); n%1000 == 1 {
			wr.log.Warn("history queue full, rows dropped (mail is not affected)", "queue_id", m.QueueID, "dropped", n)
		}
		if wr.dropped != nil {
			wr.dropped()
		}
	}
}

func (wr *Writer) run() {
	defer close(wr.done)
	batch := make([]Message, 0, wr.maxRows)
	for m := range wr.queue {
		batch = append(batch[:0], m)
	more:
		for len(batch) < wr.maxRows {
			select {
			case m, ok := <-wr.queue:
				if !ok {
					break more
				}
				batch = append(batch, m)
			default:
				break more
			}
		}
		wr.write(batch)
	}
}

func (wr *Writer) write(batch []Message) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := wr.w(ctx, batch); err != nil {
		wr.log.Error("history write failed, rows lost (mail is not affected)", "err", err, "rows", len(batch),
			"queue_id", batch[0].QueueID)
		if wr.failed != nil {
			wr.failed(len(batch))
		}
	}
}

// Close writes what is queued and stops; it waits until ctx ends at most.
// Record must not be called after Close.
func (wr *Writer) Close(ctx context.Context) error {
	if wr == nil {
		return nil
	}
	wr.once.Do(func() { close(wr.queue) })
	select {
	case <-wr.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// encodeFindings is the stored form of the evidence.
func encodeFindings(f []scan.Finding) (string, error) {
	if len(f) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}

func decodeFindings(s string) ([]scan.Finding, error) {
	var f []scan.Finding
	if s == "" {
		return nil, nil
	}
	err := json.Unmarshal([]byte(s), &f)
	return f, err
}
