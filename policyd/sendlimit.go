package policyd

import (
	"strings"
	"sync"
	"time"
)

// SendLimiter bounds the messages each authenticated (SASL) user sends in
// a sliding hour, so that a stolen password does not become thousands of
// spam messages from the gateway's address. Postfix asks the policy
// daemon once per recipient; a message is one Postfix "instance", counted
// once. Counts are kept in memory, per gateway process.
type SendLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	users map[string][]sent
}

type sent struct {
	instance string
	at       time.Time
}

// NewSendLimiter allows max messages per user per window; max 0 (or less)
// means no limit (nil limiter).
func NewSendLimiter(max int, window time.Duration, now func() time.Time) *SendLimiter {
	if max <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &SendLimiter{max: max, window: window, now: now, users: map[string][]sent{}}
}

// Allow counts the message instance of user (a recipient of a counted
// message is always allowed) and reports whether it is within the limit;
// retry is when the oldest counted message leaves the window.
func (l *SendLimiter) Allow(user, instance string) (ok bool, retry time.Duration) {
	if l == nil {
		return true, 0
	}
	user = strings.ToLower(user)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	list := l.users[user]
	keep := list[:0]
	for _, s := range list {
		if now.Sub(s.at) < l.window {
			keep = append(keep, s)
		}
	}
	list = keep
	for _, s := range list {
		if instance != "" && s.instance == instance {
			l.users[user] = list
			return true, 0
		}
	}
	if len(list) >= l.max {
		l.users[user] = list
		return false, l.window - now.Sub(list[0].at)
	}
	l.users[user] = append(list, sent{instance: instance, at: now})
	if len(l.users) > 100_000 {
		l.sweep(now)
	}
	return true, 0
}

// sweep forgets users with nothing in the window (caller holds mu).
func (l *SendLimiter) sweep(now time.Time) {
	for u, list := range l.users {
		if len(list) == 0 || now.Sub(list[len(list)-1].at) >= l.window {
			delete(l.users, u)
		}
	}
}

// Full reports, without counting anything, whether user has max messages
// in the window, and when the oldest leaves it. The held-spam limit
// uses it: the milter counts held messages (Allow with the queue id), the
// policy daemon defers the user while it is full.
func (l *SendLimiter) Full(user string) (full bool, retry time.Duration) {
	if l == nil {
		return false, 0
	}
	user = strings.ToLower(user)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	var oldest time.Time
	for _, s := range l.users[user] {
		if now.Sub(s.at) < l.window {
			if n == 0 {
				oldest = s.at
			}
			n++
		}
	}
	if n < l.max {
		return false, 0
	}
	return true, l.window - now.Sub(oldest)
}
