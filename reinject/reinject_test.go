package reinject

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/smtptest"
)

func newFake(t *testing.T, rcptReply, dataReply string) *smtptest.Server {
	f := smtptest.New(t)
	f.Reply(rcptReply, dataReply)
	return f
}

func TestSendDelivers(t *testing.T) {
	f := newFake(t, "250 ok", "250 2.0.0 Ok: queued as ABC")
	c := &Client{Addr: f.Addr(), Hostname: "gw.test", Timeout: 5 * time.Second}
	msg := "Subject: x\r\n\r\n.leading dot\r\nbody\r\n"
	if err := c.Send(context.Background(), "s@x.test", []string{"r@y.test"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if got := f.Messages(); len(got) != 1 || got[0].Data != msg {
		t.Fatalf("server got %q, want %q (dot-stuffing must round-trip)", got, msg)
	}
}

func TestSendReportsRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, rcpt, data string
		code             int
		temporary        bool
	}{
		{"rcpt tempfail", "451 4.3.0 try later", "250 ok", 451, true},
		{"rcpt reject", "550 5.1.1 unknown", "250 ok", 550, false},
		{"data reject", "250 ok", "554 5.7.1 no", 554, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.rcpt, tc.data)
			c := &Client{Addr: f.Addr(), Timeout: 5 * time.Second}
			err := c.Send(context.Background(), "", []string{"r@y.test"}, strings.NewReader("Subject: x\r\n\r\nb\r\n"))
			var se *Error
			if !errors.As(err, &se) || se.Code != tc.code || se.Temporary() != tc.temporary {
				t.Fatalf("err %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestSendUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := &Client{Addr: addr, Timeout: 2 * time.Second}
	if err := c.Send(context.Background(), "", []string{"r@y.test"}, strings.NewReader("x")); err == nil {
		t.Fatal("want an error for a closed port")
	}
}

// A message Postfix accepted (250 after DATA) is sent, even if the
// connection breaks at QUIT: otherwise a release would be undone and
// delivered a second time.
func TestSendSucceedsWhenQuitFails(t *testing.T) {
	f := newFake(t, "250 ok", "250 2.0.0 Ok: queued as ABC")
	f.DropQuit()
	c := &Client{Addr: f.Addr(), Timeout: 5 * time.Second}
	if err := c.Send(context.Background(), "s@x.test", []string{"r@y.test"}, strings.NewReader("Subject: x\r\n\r\nb\r\n")); err != nil {
		t.Fatalf("accepted message reported as failed: %v", err)
	}
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("%d messages at the server", n)
	}
}
