package policyd

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/mailtower/mailtower/policyd/greylist"
)

// TestDaemonServeAndShutdown runs the policy and socketmap listeners,
// answers one request on each, then shuts down: Serve returns and the
// greylist state of the answered request is in the database.
func TestDaemonServeAndShutdown(t *testing.T) {
	f := newFixture(t)
	pl, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.d.Serve(ctx, pl, sl) }()

	c, err := net.Dial("tcp", pl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	cl := &client{c: c, br: bufio.NewReader(c)}
	cl.send("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=203.0.113.50\nsender=x@y.example\nrecipient=q@catch.example\n\n")
	if got := cl.reply(); got != "action=450 4.7.1 Greylisted, please try again in 30 seconds" {
		t.Fatalf("policy reply %q", got)
	}
	s, err := net.Dial("tcp", sl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(20 * time.Second))
	s.Write([]byte("21:domains valid.example,"))
	if got, err := ReadNetstring(bufio.NewReader(s), 100); err != nil || string(got) != "OK valid.example" {
		t.Fatalf("socketmap reply %q %v", got, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	st, err := greylist.NewSQLStore(context.Background(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok, err := st.Triplet(context.Background(), "203.0.113.0/24", "x@y.example", "q@catch.example")
	if err != nil || !ok || tr.Attempts != 1 {
		t.Fatalf("greylist state after shutdown: %+v %v %v (not flushed)", tr, ok, err)
	}
	if _, err := net.Dial("tcp", pl.Addr().String()); err == nil {
		t.Fatal("policy listener still open")
	}
}
