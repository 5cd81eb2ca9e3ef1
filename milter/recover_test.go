package milter

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/d--j/go-milter"
	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/policy"
)

// panicCounter records the components a guard reported.
type panicCounter struct {
	mu  sync.Mutex
	got []string
}

func (p *panicCounter) add(c string) {
	p.mu.Lock()
	p.got = append(p.got, c)
	p.mu.Unlock()
}

func (p *panicCounter) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.got, ",")
}

// panicOnce makes the relay-network look-up of the policy core (called inside Decide, outside the
// scanners' own recovery) panic for the first message only.
func panicOnce(f *fixture) *atomic.Int32 {
	var calls atomic.Int32
	rt := *f.filter.rt.Load()
	rt.Policy = policy.New(policy.Config{Resolver: f.resolver, Relay: relayFunc(func(netip.Addr) []string {
		if calls.Add(1) == 1 {
			var m map[string]int
			m["boom"]++ // a nil-map write: a real runtime panic
		}
		return nil
	})})
	f.filter.Reload(&rt)
	return &calls
}

func TestGuardTempfailsAPanickingDecision(t *testing.T) {
	f := newFixture(t)
	panicOnce(f)
	var logged bytes.Buffer
	var count panicCounter
	decide := guard(slog.New(slog.NewTextHandler(&logged, nil)), count.add, f.filter.Decide)
	trx := newTrx("From: a@example.org\r\nSubject: hi\r\n", "hello\r\n", "bob@q.test")
	d, err := decide(context.Background(), trx)
	if err != nil || d != tempFail {
		t.Fatalf("decision %v %v, want the 451 tempfail", d, err)
	}
	if count.String() != "milter" {
		t.Errorf("panic counted as %q, want milter", count.String())
	}
	for _, want := range []string{"queue_id=4ABCDEF", "assignment to entry in nil map", "recover_test.go"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q (queue id, panic value, stack):\n%s", want, logged.String())
		}
	}
	// The next message is decided normally.
	d, err = decide(context.Background(), newTrx("From: a@example.org\r\n", "hello\r\n", "bob@q.test"))
	if err != nil || d != mailfilter.Accept {
		t.Fatalf("after a panic: decision %v %v, want accept", d, err)
	}
}

// TestServerSurvivesPanic drives the real milter listener the way Postfix
// does: the session whose decision panics gets 451, the process lives and
// the next session on a new connection is accepted. Without the guard the
// panic in go-milter's decision goroutine ends the whole test binary.
func TestServerSurvivesPanic(t *testing.T) {
	f := newFixture(t)
	calls := panicOnce(f)
	var count panicCounter
	srv, err := Listen(f.filter, ServerOptions{Network: "tcp", Address: "127.0.0.1:0",
		MaxMemory: 200 << 10, MaxBody: 1 << 30, MaxHeaders: 1000, Panicked: count.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	client := milter.NewClient("tcp", srv.Addr(), milter.WithActions(milter.AllClientSupportedActionMasks))
	err = oneMessage(client, 1000)
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("first session: %v, want a 451 answer", err)
	}
	if err := oneMessage(client, 1000); err != nil {
		t.Fatalf("second session after a panic: %v", err)
	}
	if calls.Load() != 2 || count.String() != "milter" {
		t.Fatalf("%d decisions, panics counted %q; want 2 and one milter panic", calls.Load(), count.String())
	}
}
