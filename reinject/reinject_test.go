package reinject

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeSMTP is a minimal SMTP server: it answers rcptReply to RCPT and
// dataReply after the final dot, and records the DATA it received.
type fakeSMTP struct {
	ln                   net.Listener
	rcptReply, dataReply string
	got                  chan string
}

func newFake(t *testing.T, rcptReply, dataReply string) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, rcptReply: rcptReply, dataReply: dataReply, got: make(chan string, 1)}
	go f.serve()
	t.Cleanup(func() { ln.Close() })
	return f
}

func (f *fakeSMTP) serve() {
	c, err := f.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { c.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-fake")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			say(f.rcptReply)
		case cmd == "DATA":
			say("354 go on")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			f.got <- data.String()
			say(f.dataReply)
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestSendDelivers(t *testing.T) {
	f := newFake(t, "250 ok", "250 2.0.0 Ok: queued as ABC")
	c := &Client{Addr: f.ln.Addr().String(), Hostname: "gw.test", Timeout: 5 * time.Second}
	msg := "Subject: x\r\n\r\n.leading dot\r\nbody\r\n"
	if err := c.Send(context.Background(), "s@x.test", []string{"r@y.test"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if got := <-f.got; got != msg {
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
			c := &Client{Addr: f.ln.Addr().String(), Timeout: 5 * time.Second}
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
