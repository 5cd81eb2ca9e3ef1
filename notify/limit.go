package notify

import (
	"sync"
	"time"
)

// Limits bound how many virus notices are queued per hour. A zero field
// means no limit of that kind.
type Limits struct {
	// PerAddress is the most notices one address gets per hour.
	PerAddress int
	// Global is the most notices queued per hour in all.
	Global int
}

// Events receives the notifier's counts for metrics; a nil Events is allowed.
type Events interface {
	// NoticeSuppressed counts a notice not queued; reason is
	// "address_limit" or "global_limit".
	NoticeSuppressed(reason string)
	// NoticeFailed counts a queued notice moved aside unsent; reason is
	// "undecodable" or "given_up".
	NoticeFailed(reason string)
}

// Options configure a Notifier after New (and again on a reload).
type Options struct {
	Limits Limits
	Events Events
}

// limiter counts notices in fixed one-hour windows, in memory: a restart
// starts a new window, which at worst lets one more hour's worth through.
// Only admitted addresses are remembered, so the map holds at most
// Global entries (or one per notified address, which are known users and
// admins).
type limiter struct {
	mu     sync.Mutex
	limits Limits
	start  time.Time
	total  int
	per    map[string]int
}

// allow reports whether a notice to addr may be queued at now, and if
// not, why ("address_limit" or "global_limit").
func (l *limiter) allow(addr string, now time.Time) (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.per == nil || now.Sub(l.start) >= time.Hour || now.Before(l.start) {
		l.start, l.total, l.per = now, 0, map[string]int{}
	}
	if l.limits.Global > 0 && l.total >= l.limits.Global {
		return false, "global_limit"
	}
	if l.limits.PerAddress > 0 && l.per[addr] >= l.limits.PerAddress {
		return false, "address_limit"
	}
	l.total++
	l.per[addr]++
	return true, ""
}

func (l *limiter) set(limits Limits) {
	l.mu.Lock()
	l.limits = limits
	l.mu.Unlock()
}
