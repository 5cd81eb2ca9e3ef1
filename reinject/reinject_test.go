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

// DSN parameters of the original transaction reach Postfix (issue 11,
// item 7); invalid ones (e.g. from a damaged database row) are dropped
// rather than written into a command.
func TestSendEnvelopeDSN(t *testing.T) {
	f := newFake(t, "250 ok", "250 2.0.0 Ok: queued as ABC")
	c := &Client{Addr: f.Addr(), Timeout: 5 * time.Second}
	env := Envelope{From: "s@x.test", RET: "HDRS", EnvID: "QQ+2B1", To: []Rcpt{
		{Addr: "a@y.test", Notify: "NEVER", ORcpt: "rfc822;A+2Bx@y.test"},
		{Addr: "b@y.test"},
		{Addr: "c@y.test", Notify: "NEVER\r\nRCPT TO:<evil@z>", ORcpt: "rfc822;x y"},
	}}
	if err := Deliver(context.Background(), c, env, strings.NewReader("Subject: x\r\n\r\nb\r\n")); err != nil {
		t.Fatal(err)
	}
	got := f.Messages()
	want := []string{"<a@y.test> NOTIFY=NEVER ORCPT=rfc822;A+2Bx@y.test", "<b@y.test>", "<c@y.test>"}
	if len(got) != 1 || got[0].MailParams != "BODY=8BITMIME RET=HDRS ENVID=QQ+2B1" ||
		strings.Join(got[0].To, "|") != strings.Join(want, "|") {
		t.Fatalf("server got %+v", got)
	}
}

// The default listener is a unix socket ("unix:PATH").
func TestSendUnixSocket(t *testing.T) {
	path := t.TempDir() + "/reinject"
	f := smtptest.Listen(t, "unix", path)
	c := &Client{Addr: "unix:" + path, Timeout: 5 * time.Second}
	if err := c.Send(context.Background(), "", []string{"r@y.test"}, strings.NewReader("Subject: x\r\n\r\nb\r\n")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("%d messages at the server", n)
	}
}

func TestDSNArgs(t *testing.T) {
	for _, tc := range []struct{ args, a, b string }{
		{"RET=hdrs ENVID=abc+2B SIZE=10", "HDRS", "abc+2B"},
		{"RET=MAYBE ENVID=a=b", "", ""},
		{"ENVID=x+zz", "", ""},
	} {
		if a, b := MailDSN(tc.args); a != tc.a || b != tc.b {
			t.Errorf("MailDSN(%q) = %q, %q", tc.args, a, b)
		}
	}
	for _, tc := range []struct{ args, a, b string }{
		{"NOTIFY=success,failure ORCPT=rfc822;bob@x.test", "SUCCESS,FAILURE", "rfc822;bob@x.test"},
		{"NOTIFY=NEVER,SUCCESS ORCPT=bob@x.test", "", ""},
		{"notify=never orcpt=rfc822;", "NEVER", ""},
	} {
		if a, b := RcptDSN(tc.args); a != tc.a || b != tc.b {
			t.Errorf("RcptDSN(%q) = %q, %q", tc.args, a, b)
		}
	}
}

// FuzzDSNArgs: whatever Postfix passes, a kept value is one token of
// printable ASCII (it goes into a command line).
func FuzzDSNArgs(f *testing.F) {
	f.Add("NOTIFY=NEVER ORCPT=rfc822;a@b RET=FULL ENVID=x")
	f.Fuzz(func(t *testing.T, args string) {
		a, b := MailDSN(args)
		c, d := RcptDSN(args)
		for _, v := range []string{a, b, c, d} {
			for i := 0; i < len(v); i++ {
				if v[i] <= ' ' || v[i] > '~' {
					t.Fatalf("value %q from %q", v, args)
				}
			}
		}
	})
}

// The queue id Postfix names in its reply to the message is returned, so
// the mail history can follow a re-injected copy or a released message.
func TestSendQueuedReturnsQueueID(t *testing.T) {
	for _, c := range []struct{ reply, want string }{
		{"250 2.0.0 Ok: queued as 4dgJ9B0Xhhz9sXZ", "4dgJ9B0Xhhz9sXZ"},
		{"250 2.0.0 Ok: queued as ABC123", "ABC123"},
		{"250 ok", ""},
	} {
		f := newFake(t, "250 ok", c.reply)
		cl := &Client{Addr: f.Addr(), Hostname: "gw.test"}
		env := Envelope{From: "s@x.test", To: []Rcpt{{Addr: "r@y.test"}}}
		got, err := DeliverQueued(context.Background(), cl, env, strings.NewReader("Subject: x\r\n\r\nb\r\n"))
		if err != nil || got != c.want {
			t.Errorf("reply %q: queue id %q, %v; want %q", c.reply, got, err, c.want)
		}
	}
}
