// Package smtptest is a minimal SMTP server on loopback for unit tests of
// SMTP clients (re-injection, release): it records each transaction and
// answers configurable replies to RCPT and to the end of DATA.
package smtptest

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
)

// Message is one accepted transaction.
type Message struct {
	From string // MAIL FROM path, brackets kept, parameters dropped: "<a@b>"
	// MailParams are MAIL FROM's parameters ("BODY=8BITMIME RET=HDRS").
	MailParams string
	To         []string // accepted RCPT TO arguments, parameters included
	Data       string   // DATA with dot-stuffing removed, CRLF kept
}

// Server is a fake SMTP server. Set replies before or between sessions.
type Server struct {
	ln        net.Listener
	mu        sync.Mutex
	rcptReply string
	dataReply string
	dropQuit  bool
	msgs      []Message
}

// DropQuit makes the server hang up on QUIT without answering (a client
// must not take an accepted message for a failed one).
func (s *Server) DropQuit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropQuit = true
}

// New listens on 127.0.0.1 on a free port; the listener closes with the test.
func New(t testing.TB) *Server {
	t.Helper()
	return Listen(t, "tcp", "127.0.0.1:0")
}

// Listen is New on another network and address (a unix socket).
func Listen(t testing.TB, network, address string) *Server {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln, rcptReply: "250 ok", dataReply: "250 2.0.0 Ok: queued"}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// Addr is the HOST:PORT to connect to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Reply sets the replies to RCPT and to the final dot.
func (s *Server) Reply(rcpt, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptReply, s.dataReply = rcpt, data
}

// Messages returns the accepted transactions so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *Server) replies() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcptReply, s.dataReply
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { c.Write([]byte(l + "\r\n")) }
	say("220 smtptest ESMTP")
	var m Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(line)
		rcptReply, dataReply := s.replies()
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-smtptest")
			say("250-DSN")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			path, params, _ := strings.Cut(line[len("MAIL FROM:"):], " ")
			m = Message{From: path, MailParams: params}
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			if strings.HasPrefix(rcptReply, "2") {
				m.To = append(m.To, line[len("RCPT TO:"):])
			}
			say(rcptReply)
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
			m.Data = data.String()
			if strings.HasPrefix(dataReply, "2") {
				s.mu.Lock()
				s.msgs = append(s.msgs, m)
				s.mu.Unlock()
			}
			say(dataReply)
		case cmd == "QUIT":
			s.mu.Lock()
			drop := s.dropQuit
			s.mu.Unlock()
			if !drop {
				say("221 bye")
			}
			return
		default:
			say("250 ok")
		}
	}
}
