package milter

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/d--j/go-milter/mailfilter"
)

// guard wraps a decision function so that a panic while deciding one
// message tempfails that message (451: the sender keeps it and retries)
// instead of killing the process, which also runs the policy daemon and
// the socketmap: one bad message must not stop all mail. go-milter calls
// the decision function in a goroutine of its own and does not recover,
// so this is the only place a panic can be caught.
//
// panicked (metrics, may be nil) is told "milter" once per panic.
func guard(log *slog.Logger, panicked func(component string), decide mailfilter.DecisionModificationFunc) mailfilter.DecisionModificationFunc {
	return func(ctx context.Context, trx mailfilter.Trx) (d mailfilter.Decision, err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			log.Error("panic while deciding a message; answering temporary failure",
				"queue_id", trx.QueueId(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			if panicked != nil {
				panicked("milter")
			}
			d, err = tempFail, nil
		}()
		return decide(ctx, trx)
	}
}
