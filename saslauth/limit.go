package saslauth

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Limits are the failed-login rules. Failures are counted per client
// network (a /24 for IPv4, a /64 for IPv6: what one host or one attacker
// usually holds) and per login name, within Window.
type Limits struct {
	// Free is the failures before any delay.
	Free int
	// Delay is the first delay; each further failure doubles it, up to
	// MaxDelay (below Postfix's 10 s wait for an answer).
	Delay, MaxDelay time.Duration
	// MaxNetFailures and MaxUserFailures refuse an attempt outright (no
	// password check) once reached.
	MaxNetFailures, MaxUserFailures int
	// Window is how long a failure counts.
	Window time.Duration
}

// DefaultLimits: three free failures, then 250 ms doubling up to the
// configured maximum; refusal after 10 failures for a user or 30 for a
// network within 15 minutes.
func DefaultLimits(maxDelay time.Duration) Limits {
	return Limits{Free: 3, Delay: 250 * time.Millisecond, MaxDelay: maxDelay,
		MaxNetFailures: 30, MaxUserFailures: 10, Window: 15 * time.Minute}
}

// limiter keeps the failure counts in memory (one gateway; a restart
// forgets them).
type limiter struct {
	lim Limits
	now func() time.Time

	mu       sync.Mutex
	failures map[string]*failures
	sweep    time.Time
}

type failures struct {
	n    int
	last time.Time
}

func newLimiter(l Limits, now func() time.Time) *limiter {
	return &limiter{lim: l, now: now, failures: map[string]*failures{}}
}

// clientNet is the network key of a client address ("rip").
func clientNet(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil {
		return "net:?"
	}
	a = a.Unmap()
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return "net:" + p.String()
}

func userKey(login string) string { return "user:" + strings.ToLower(strings.TrimSpace(login)) }

// Verdict is what the limiter says about one attempt.
type Verdict struct {
	// Delay is how long to wait before answering.
	Delay time.Duration
	// Refuse: too many failures; answer FAIL without checking.
	Refuse bool
	// Scope is "net" or "user" when a limit applied.
	Scope string
}

// check returns the delay and refusal for an attempt by login from client.
func (l *limiter) check(client, login string) Verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var v Verdict
	for _, k := range []struct {
		key, scope string
		max        int
	}{{clientNet(client), "net", l.lim.MaxNetFailures}, {userKey(login), "user", l.lim.MaxUserFailures}} {
		n := l.count(k.key, now)
		if k.max > 0 && n >= k.max && !v.Refuse {
			v.Refuse, v.Scope = true, k.scope
		}
		if d := l.delay(n); d > v.Delay {
			v.Delay = d
			if !v.Refuse {
				v.Scope = k.scope
			}
		}
	}
	return v
}

// count returns the failures of key still in the window (caller holds mu).
func (l *limiter) count(key string, now time.Time) int {
	f := l.failures[key]
	if f == nil || now.Sub(f.last) > l.lim.Window {
		return 0
	}
	return f.n
}

func (l *limiter) delay(n int) time.Duration {
	if n <= l.lim.Free || l.lim.Delay <= 0 {
		return 0
	}
	d := l.lim.Delay
	for i := l.lim.Free + 1; i < n && d < l.lim.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.lim.MaxDelay)
}

// failed counts a failed attempt for the client's network and the login.
func (l *limiter) failed(client, login string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, key := range []string{clientNet(client), userKey(login)} {
		f := l.failures[key]
		if f == nil && len(l.failures) >= maxTracked {
			l.sweepLocked(now)
			if len(l.failures) >= maxTracked {
				continue // under a distributed attack: keep what is tracked
			}
		}
		if f == nil || now.Sub(f.last) > l.lim.Window {
			f = &failures{}
			l.failures[key] = f
		}
		f.n++
		f.last = now
	}
	// Forget stale entries now and then, so the map stays small.
	if now.Sub(l.sweep) > l.lim.Window {
		l.sweepLocked(now)
	}
}

// maxTracked bounds the counted keys (about 100 bytes each).
const maxTracked = 200_000

func (l *limiter) sweepLocked(now time.Time) {
	for k, f := range l.failures {
		if now.Sub(f.last) > l.lim.Window {
			delete(l.failures, k)
		}
	}
	l.sweep = now
}

// succeeded forgets the login's failures (not the network's: one good
// password there says nothing about the other guesses).
func (l *limiter) succeeded(login string) {
	l.mu.Lock()
	delete(l.failures, userKey(login))
	l.mu.Unlock()
}
