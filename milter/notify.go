package milter

import (
	"context"
	"time"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/scan"
)

// notify hands the virus notices of a message (policy.Notices: one per
// notified address, never the sender) to the notifier. The notifier
// queues them; its failures never affect the message.
func (f *Filter) notify(ctx context.Context, rt *Runtime, env scan.Envelope, subject, qid string, plans []recipientPlan) {
	if rt.Notify == nil {
		return
	}
	ts := make([]policy.Treatment, len(plans))
	for i, p := range plans {
		ts[i] = p.Treatment
	}
	for _, n := range policy.Notices(env, subject, qid, time.Now(), ts) {
		rt.Notify.VirusFound(ctx, n)
	}
}
