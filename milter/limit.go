package milter

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/internal/smtpreply"
)

// DefaultMaxScans is the bound on concurrent decisions when [milter]
// max_scans is 0: twice the CPUs, at least 4. A decision spends much of
// its time waiting for clamd, spamd and the database, so more decisions
// than CPUs keep the machine busy; each holds up to spool_memory of the
// message and up to limits.decoded_size of decoded MIME parts per engine
// walk, so the bound, not the number of SMTP sessions, sets peak memory.
func DefaultMaxScans() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// busy is the answer when no scan slot freed in time: the sender retries
// later, when the burst is over.
var busy = reply(smtpreply.Busy)

// scanLimiter bounds the decisions running at once. A message beyond the
// bound waits up to wait for a slot, then is tempfailed with busy.
type scanLimiter struct {
	slots   chan struct{}
	wait    time.Duration
	log     *slog.Logger
	refused func()          // metrics; may be nil
	waiting func(delta int) // metrics; may be nil
}

func newScanLimiter(n int, wait time.Duration, log *slog.Logger, refused func(), waiting func(int)) *scanLimiter {
	if n <= 0 {
		n = DefaultMaxScans()
	}
	return &scanLimiter{slots: make(chan struct{}, n), wait: wait, log: log, refused: refused, waiting: waiting}
}

// wrap returns decide bounded by the limiter. The slot is released when
// decide returns or panics.
func (l *scanLimiter) wrap(decide mailfilter.DecisionModificationFunc) mailfilter.DecisionModificationFunc {
	return func(ctx context.Context, trx mailfilter.Trx) (mailfilter.Decision, error) {
		if !l.acquire(ctx) {
			l.log.Warn("every scan slot busy; tempfail", "queue_id", trx.QueueId(), "max_scans", cap(l.slots), "waited", l.wait)
			if l.refused != nil {
				l.refused()
			}
			return busy, nil
		}
		defer func() { <-l.slots }()
		return decide(ctx, trx)
	}
}

// acquire takes a slot, waiting up to l.wait.
func (l *scanLimiter) acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	if l.waiting != nil {
		l.waiting(+1)
		defer l.waiting(-1)
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done(): // Postfix went away
	}
	return false
}
