package policyd

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// An authenticated user gets [sasl] messages_per_hour messages per hour;
// every recipient of a counted message passes; the hour slides (issue 16).
func TestSendLimit(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}
	d := seededDecider(t, NewSendLimiter(3, time.Hour, clock.Now))
	ask := func(user, instance, rcptTo string) string {
		t.Helper()
		dec, err := d.Decide(ctx, rcpt("203.0.113.50", "bob@valid.example", rcptTo, "sasl_username", user, "instance", instance))
		if err != nil {
			t.Fatal(err)
		}
		return dec.Action
	}
	for i := 1; i <= 3; i++ {
		for _, to := range []string{"a@gmail.example", "b@gmail.example"} {
			if got := ask("bob@valid.example", "m"+strconv.Itoa(i), to); got != "OK" {
				t.Fatalf("message %d to %s: %q", i, to, got)
			}
		}
		clock.Add(10 * time.Minute)
	}
	if got := ask("Bob@valid.example", "m4", "a@gmail.example"); !strings.HasPrefix(got, "450 4.7.1 Sending rate limit") {
		t.Errorf("4th message in the hour: %q", got)
	}
	if got := ask("carol@valid.example", "c1", "a@gmail.example"); got != "OK" {
		t.Errorf("another user: %q", got)
	}
	if got := ask("", "x1", "a@gmail.example"); got != "DUNNO" {
		t.Errorf("no login, no count (and no relay): %q", got)
	}
	clock.Add(31 * time.Minute) // the first message leaves the hour
	if got := ask("bob@valid.example", "m5", "a@gmail.example"); got != "OK" {
		t.Errorf("after the hour slid: %q", got)
	}
	if NewSendLimiter(0, time.Hour, nil) != nil {
		t.Error("0 must mean no limiter")
	}
}

// TestHeldSpamDefers: after [sasl] held_per_hour messages of a user were
// held as outbound spam (counted by the milter), the user's further mail
// is deferred with its own reply, not counted against messages_per_hour;
// other users are not affected and the hour slides.
func TestHeldSpamDefers(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}
	sends := NewSendLimiter(100, time.Hour, clock.Now)
	held := NewSendLimiter(2, time.Hour, clock.Now)
	d := seededDecider(t, sends)
	d.held = held
	ask := func(user, instance string) string {
		t.Helper()
		dec, err := d.Decide(ctx, rcpt("203.0.113.50", "bob@valid.example", "a@gmail.example", "sasl_username", user, "instance", instance))
		if err != nil {
			t.Fatal(err)
		}
		return dec.Action
	}
	held.Allow("bob@valid.example", "Q1")
	if got := ask("bob@valid.example", "m1"); got != "OK" {
		t.Fatalf("one held message: %q", got)
	}
	clock.Add(10 * time.Minute)
	held.Allow("bob@valid.example", "Q2")
	if full, retry := held.Full("BOB@valid.example"); !full || retry != 50*time.Minute {
		t.Errorf("Full = %v, %s; want true, 50m", full, retry)
	}
	if got := ask("bob@valid.example", "m2"); !strings.HasPrefix(got, "450 4.7.1 Sending suspended: recent messages were held as spam") {
		t.Errorf("after two held messages: %q", got)
	}
	if got := ask("carol@valid.example", "c1"); got != "OK" {
		t.Errorf("another user: %q", got)
	}
	clock.Add(51 * time.Minute) // the first held message leaves the hour
	if got := ask("bob@valid.example", "m3"); got != "OK" {
		t.Errorf("after the hour slid: %q", got)
	}
	var none *SendLimiter
	if full, _ := none.Full("bob@valid.example"); full {
		t.Error("a nil limiter is never full")
	}
}
