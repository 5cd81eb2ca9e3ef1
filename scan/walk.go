package scan

import (
	"sync"

	"github.com/mailtower/mailtower/mimewalk"
)

// walkCache holds the MIME walks of one message, one per set of limits.
type walkCache struct {
	mu    sync.Mutex
	walks map[mimewalk.Limits]*walkResult
}

type walkResult struct {
	once sync.Once
	msg  *mimewalk.Message
	err  error
}

// Walk returns the message's MIME structure walked with lim. The walk is
// done once per message (and set of limits) and shared by every engine
// that asks, so the built-in engines, which run concurrently, do not each
// parse the same message again. The result is shared: callers must treat
// it as read-only.
func (m *Message) Walk(lim mimewalk.Limits) (*mimewalk.Message, error) {
	m.walks.mu.Lock()
	if m.walks.walks == nil {
		m.walks.walks = map[mimewalk.Limits]*walkResult{}
	}
	w, ok := m.walks.walks[lim]
	if !ok {
		w = &walkResult{}
		m.walks.walks[lim] = w
	}
	m.walks.mu.Unlock()
	w.once.Do(func() { w.msg, w.err = mimewalk.Walk(m.Reader(), lim) })
	return w.msg, w.err
}
