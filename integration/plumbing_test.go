//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestPlumbing checks the harness itself, without mailtower: Postfix relays
// to the sink, both listeners work, and clamd and spamd answer as the
// gateway tests expect. When a gateway test fails, this one tells whether
// the harness or mailtower is to blame.
func TestPlumbing(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoMilter: true})
	body := "Plain body.\n.leading dot\n\ttab and trailing space \nlast line\n"
	for i, addr := range []string{e.Postfix.Addr(), e.Postfix.ReinjectAddr()} {
		msg := message([]string{"From: <a@sender.example>", "To: <u@clean.test>", fmt.Sprintf("Subject: plumbing %d", i)}, body)
		r, err := send(addr, "a@sender.example", []string{"u@clean.test"}, msg)
		if err != nil || !r.Accepted() {
			t.Fatalf("send via %s: %v %v", addr, r, err)
		}
		if n := e.Sink.WaitCount(i+1, time.Minute); n != i+1 {
			t.Fatalf("sink has %d messages, want %d", n, i+1)
		}
		got := e.Sink.Messages()[i]
		if !bytes.Equal(got.Body(), bodyOf(msg)) {
			t.Errorf("body via %s changed:\n got %q", addr, got.Body())
		}
	}

	r, err := send(e.Postfix.Addr(), "a@sender.example", []string{"u@elsewhere.example"}, message(nil, "x\n"))
	if err != nil || r.Stage != "RCPT" || r.Code != 554 && r.Code != 454 {
		t.Errorf("relay to a foreign domain: %v %v, want refused at RCPT", r, err)
	}

	cases := []struct {
		name, addr string
		req        []byte
		want       string
	}{
		{"clamd EICAR", e.Clamd.Addr()[len("tcp:"):], clamdInstream([]byte(eicar)), "Eicar-Test"},
		{"clamd clean", e.Clamd.Addr()[len("tcp:"):], clamdInstream([]byte("hello")), "stream: OK"},
		{"spamd GTUBE", e.Spamd.Addr(), spamcCheck(message([]string{"Subject: x"}, gtube+"\n")), "Spam: True"},
		{"spamd ham", e.Spamd.Addr(), spamcCheck(message([]string{"Subject: x"}, "hello\n")), "Spam: False"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := roundTrip(c.addr, c.req)
			if err != nil || !strings.Contains(got, c.want) {
				t.Errorf("reply %q, %v; want it to contain %q", got, err, c.want)
			}
		})
	}
}

// clamdInstream builds a clamd zINSTREAM request for data.
func clamdInstream(data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("zINSTREAM\x00")
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.Write(data)
	_ = binary.Write(&b, binary.BigEndian, uint32(0))
	return b.Bytes()
}

// spamcCheck builds a spamd CHECK request for msg.
func spamcCheck(msg []byte) []byte {
	return append([]byte(fmt.Sprintf("CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n", len(msg))), msg...)
}

// roundTrip sends req, half-closes, and returns everything the server says.
func roundTrip(addr string, req []byte) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := c.Write(req); err != nil {
		return "", err
	}
	_ = c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	return string(b), err
}
