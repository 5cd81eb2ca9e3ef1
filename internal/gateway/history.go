package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/history/maillog"
	"github.com/mailtower/mailtower/internal/metrics"
	"github.com/mailtower/mailtower/policyd"
	"github.com/mailtower/mailtower/quarantine"
)

// The history's housekeeping: the follower is restarted this long after
// an error; the retention purge runs hourly, first shortly after start.
const (
	followRetry       = 10 * time.Second
	historyPurgeFirst = 3 * time.Minute
	historyPurgeEvery = time.Hour
)

// historyParts are the App's history writer and metrics, made once per
// process and shared by the milter, the policy daemon and the follower.
type historyParts struct {
	once    sync.Once
	store   *history.Store
	writer  *history.Writer
	metrics *metrics.History
	err     error
}

// History opens the mail history store.
func (a *App) History(ctx context.Context) (*history.Store, error) {
	return history.Open(ctx, a.DB)
}

// historyWriter returns the process's history writer, or nil when
// [history] is off or the store cannot be opened (logged: history is not
// mail, the daemons run without it).
func (a *App) historyWriter(ctx context.Context, log *slog.Logger) *history.Writer {
	if !a.Config.History.Enabled {
		return nil
	}
	h := &a.hist
	h.once.Do(func() {
		if h.metrics, h.err = a.Metrics.NewHistory(); h.err != nil {
			return
		}
		if h.store, h.err = a.History(ctx); h.err != nil {
			return
		}
		m := h.metrics
		h.writer = history.NewWriter(h.store.Write, history.WriterOptions{Log: log.With("service", "history"),
			Dropped: func() { m.Lost("queue_full", 1) }, Failed: func(n int) { m.Lost("write_failed", n) }})
	})
	if h.err != nil {
		log.Error("mail history unavailable; mail flows without it", "err", h.err)
		return nil
	}
	return h.writer
}

// closeHistory writes the rows still queued (App.Close, after the daemons stopped).
func (a *App) closeHistory() {
	if a.hist.writer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.hist.writer.Close(ctx)
}

// refusalRecorder returns the policy daemon's hook that records its
// refusals in the history (nil when the history is off).
func (a *App) refusalRecorder(ctx context.Context, log *slog.Logger) func(policyd.Request, policyd.Decision) {
	w := a.historyWriter(ctx, log)
	if w == nil {
		return nil
	}
	return func(req policyd.Request, dec policyd.Decision) {
		size, _ := req.Size()
		w.Record(history.Message{Stage: history.StageRcpt, QueueID: req["queue_id"], ClientAddr: req["client_address"],
			ClientName: req["client_name"], Helo: req["helo_name"], Sender: req.Sender(), Size: size,
			Recipients: []history.Recipient{{Address: req.Recipient(), Verdict: history.VerdictRefused, Action: dec.Reason,
				Reason: dec.Action}}})
	}
}

// linkReleases makes q tell the history of every release, so that the
// released copy's queue id leads to its deliveries.
func (a *App) linkReleases(ctx context.Context, q *quarantine.Store) {
	if !a.Config.History.Enabled {
		return
	}
	h, err := a.History(ctx)
	if err != nil {
		return
	}
	q.SetReleaseHook(func(ctx context.Context, r quarantine.Released, by string, at time.Time) {
		if err := h.RecordRelease(ctx, r.ID, r.Recipients, r.QueueID, by, at); err != nil {
			slog.Default().Warn("release not linked in the mail history", "err", err, "quarantine_id", r.ID, "queue_id", r.QueueID)
		}
	})
}

// historyService follows Postfix's log and purges the history by age.
type historyService struct {
	mu        sync.Mutex
	retention time.Duration
	stop      context.CancelFunc
	wg        sync.WaitGroup
	log       *slog.Logger
}

// StartHistory starts the follower of [history] log_file and the hourly
// retention purge; with [history] off it does nothing.
func StartHistory(ctx context.Context, a *App, log *slog.Logger) (Service, error) {
	s := &historyService{log: log.With("service", "history"), stop: func() {}}
	if !a.Config.History.Enabled {
		return s, nil
	}
	st, err := a.History(ctx)
	if err != nil {
		return nil, err
	}
	a.historyWriter(ctx, log) // the metrics, registered once
	s.retention = retentionOf(a)
	rctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if path := a.Config.History.LogFile; path != "" {
		m := a.hist.metrics
		f := &maillog.Follower{Path: path, Log: s.log, Sink: st.LogSink(followerName(a, path), func(b maillog.Batch) {
			m.Lines(b.Lines)
			for _, ev := range b.Events {
				if ev.Kind == maillog.KindDelivery {
					m.Delivery(ev.Status, ev.Relay, ev.Reply)
				}
			}
		})}
		s.wg.Add(1)
		go s.follow(rctx, f)
		s.log.Info("following Postfix's log for delivery results", "file", path)
	}
	s.wg.Add(1)
	go s.purge(rctx, st)
	return s, nil
}

func retentionOf(a *App) time.Duration {
	return time.Duration(a.Config.History.RetentionDays) * 24 * time.Hour
}

func (s *historyService) follow(ctx context.Context, f *maillog.Follower) {
	defer s.wg.Done()
	for {
		if err := f.Run(ctx); err != nil {
			s.log.Error("log follower stopped; restarting it", "err", err, "in", followRetry)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(followRetry):
		}
	}
}

func (s *historyService) purge(ctx context.Context, st *history.Store) {
	defer s.wg.Done()
	runEvery(ctx, historyPurgeFirst, historyPurgeEvery, func() {
		s.mu.Lock()
		keep := s.retention
		s.mu.Unlock()
		p, err := st.Purge(ctx, time.Now().Add(-keep), history.PurgeOptions{})
		if err != nil && ctx.Err() == nil {
			s.log.Error("history purge failed; retrying next hour", "err", err)
		} else if p.Messages+p.Deliveries > 0 {
			s.log.Info("history purged", "messages", p.Messages, "deliveries", p.Deliveries)
		}
	})
}

// Reload takes a new retention; log_file and enabled change on restart.
func (s *historyService) Reload(_ context.Context, a *App) error {
	s.mu.Lock()
	s.retention = retentionOf(a)
	s.mu.Unlock()
	return nil
}

// Shutdown stops the follower (its uncommitted lines are read again at
// the next start) and the purge between two batches.
func (s *historyService) Shutdown(ctx context.Context) error {
	s.stop()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// followerName is the key of the log follower's stored position: the log
// file's path, and on a database several gateways share (PostgreSQL) the
// gateway's host name before it, so that each gateway's follower keeps
// its own position in its own Postfix's log.
func followerName(a *App, path string) string {
	if a.DB.IsPostgres() {
		return Hostname(a.Config) + ":" + path
	}
	return path
}
