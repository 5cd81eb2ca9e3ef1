package policyd

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// safely runs fn and reports whether it returned normally. A panic in fn
// is logged with its stack and attrs (queue id, request) and counted
// through panicked (component "policy" or "socketmap"; may be nil): the
// caller then answers a temporary failure and closes the connection, and
// every other connection, the milter and the socketmap keep working.
func safely(log *slog.Logger, component string, panicked func(string), fn func(), attrs ...any) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic while answering "+component+"; temporary failure, closing the connection",
				append(attrs, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))...)
			if panicked != nil {
				panicked(component)
			}
			ok = false
		}
	}()
	fn()
	return true
}
