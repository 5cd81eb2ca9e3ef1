package smtpreply

import "testing"

// The texts below are asserted by unit and integration tests and seen by
// senders: they stay stable.
func TestReplyTexts(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{TempFail.Line(), "451 4.7.1 Message could not be scanned now, please try again later"},
		{OverSize.Line(), "552 5.3.4 Message size exceeds the limit of its recipients"},
		{OverSizeFor("a@b.test").Line(), "552 5.3.4 Message size exceeds the limit for <a@b.test>"},
		{Greylisted(30).Line(), "450 4.7.1 Greylisted, please try again in 30 seconds"},
		{Busy.Line(), "451 4.3.2 Too many messages being scanned, please try again later"},
		{UserUnknown("a@b.test").Line(), "550 5.1.1 <a@b.test>: User unknown"},
		{RelayDenied("", "192.0.2.5").Line(), "554 5.7.1 Relay not permitted for sender <> from 192.0.2.5"},
		{Blocked("Sender <s@x.test>", 3, "block-sender", "s@x.test", "global").Line(),
			"550 5.7.1 Sender <s@x.test> is blocked by rule 3 (block-sender s@x.test, scope global)"},
		{DeferIfPermit, "DEFER_IF_PERMIT Service temporarily unavailable"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
