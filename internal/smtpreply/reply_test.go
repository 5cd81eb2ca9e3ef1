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
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
