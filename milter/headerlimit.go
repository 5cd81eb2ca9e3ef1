package milter

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/d--j/go-milter/mailfilter"
)

// DefaultMaxHeaders is the header field limit when ServerOptions sets
// none (go-milter's own default).
const DefaultMaxHeaders = 512

// headerLimit answers 552 to a message with more than max header fields
// instead of deciding it. It is checked at the end of the message:
// go-milter can refuse at the field past the limit only by answering
// every field, which Postfix waits for one by one.
func headerLimit(log *slog.Logger, max uint32, decide mailfilter.DecisionModificationFunc) mailfilter.DecisionModificationFunc {
	return func(ctx context.Context, trx mailfilter.Trx) (mailfilter.Decision, error) {
		if n := trx.Headers().Fields().Len(); n > int(max) {
			log.Warn("message refused: too many header fields", "queue_id", trx.QueueId(), "limit", max)
			return mailfilter.CustomErrorResponse(552, fmt.Sprintf("5.3.4 Maximum allowed header lines (%d) exceeded.", max)), nil
		}
		return decide(ctx, trx)
	}
}
