//go:build integration

package integration

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message as the customer's server got it.
type Received struct {
	From string
	To   []string
	Data []byte // exactly the bytes after DATA, CRLF line ends, dots unstuffed
	// Mail and Rcpt are the MAIL FROM and RCPT TO parameters (Rcpt in
	// the order of To); the sink announces DSN, so Postfix passes RET,
	// ENVID, NOTIFY and ORCPT on.
	Mail smtp.MailOptions
	Rcpt []smtp.RcptOptions
	// TLS is the TLS version the message came over ("TLS 1.3"), "" for
	// plain text.
	TLS string
}

// Header returns the values of the header field name (case-insensitive),
// unfolded, in order. The raw bytes are parsed here by hand so that the
// test sees duplicates and exact spelling, as a mail client would.
func (r Received) Header(name string) []string {
	head, _ := r.split()
	var vals []string
	var cur *string
	for _, line := range strings.Split(head, "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && cur != nil {
			*cur += line
			continue
		}
		cur = nil
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(k, name) {
			vals = append(vals, strings.TrimSpace(v))
			cur = &vals[len(vals)-1]
		}
	}
	return vals
}

// Body returns the bytes after the header's blank line.
func (r Received) Body() []byte {
	_, body := r.split()
	return []byte(body)
}

func (r Received) split() (head, body string) {
	head, body, _ = strings.Cut(string(r.Data), "\r\n\r\n")
	return head, body
}

// Sink is a capturing SMTP server standing in for the customer's mail
// server. It records every message; it can be stopped and started again
// on the same port, to play a server that is down for a while.
type Sink struct {
	Port int

	mu       sync.Mutex
	discard  bool // keep only a count, not the messages
	msgs     []Received
	count    int
	arrived  chan struct{} // closed and replaced on every message
	srv      *smtp.Server
	serveErr chan error
	tls      *tls.Config // STARTTLS offered when set (UseTLS)
	// rcptReply answers RCPT for an address (nil: accept); rcpts logs
	// every RCPT, probes of Postfix's verify(8) included.
	rcptReply func(addr string) *smtp.SMTPError
	rcpts     []RcptAttempt
}

// RcptAttempt is one RCPT command the sink saw.
type RcptAttempt struct {
	From, To string
}

// SetRcptReply makes the sink answer RCPT TO:<addr> with f(addr) when
// that is not nil, as a customer's server refusing unknown users (550)
// or greylisting (451) does; nil f accepts every recipient again.
func (s *Sink) SetRcptReply(f func(addr string) *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptReply = f
}

// Rcpts returns every RCPT the sink saw so far, refused ones included.
func (s *Sink) Rcpts() []RcptAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RcptAttempt(nil), s.rcpts...)
}

// startSink listens on a free loopback port.
func startSink() (*Sink, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Sink{Port: port, arrived: make(chan struct{})}
	return s, s.Start()
}

// Addr is the sink's address.
func (s *Sink) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// Start (re)starts the server on its port.
func (s *Sink) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return fmt.Errorf("sink: already running")
	}
	l, err := net.Listen("tcp", s.Addr())
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: s, conn: c}, nil
	}))
	srv.TLSConfig = s.tls
	srv.Domain = "customer.test"
	srv.MaxMessageBytes = 64 << 20
	srv.MaxRecipients = 1000
	srv.EnableDSN = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	s.srv = srv
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- srv.Serve(l) }()
	return nil
}

// Stop closes the listener and every open connection: the port refuses
// connections until Start.
func (s *Sink) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
		<-s.serveErr
	}
}

// SetDiscard makes the sink count messages without keeping them (load runs).
func (s *Sink) SetDiscard(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discard = on
}

// Messages returns a copy of what arrived so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Count is the number of messages that arrived (also in Discard mode).
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// WaitCount waits until at least n messages arrived or limit passed, and
// returns the count. The limit bounds the wait; it is not a speed check.
func (s *Sink) WaitCount(n int, limit time.Duration) int {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		c, ch := s.count, s.arrived
		s.mu.Unlock()
		if c >= n {
			return c
		}
		select {
		case <-ch:
		case <-deadline.C:
			return s.Count()
		}
	}
}

// UseTLS restarts the sink offering STARTTLS with a self-signed
// certificate (a customer's server with TLS).
func (s *Sink) UseTLS() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "customer.test"},
		DNSNames: []string{"customer.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	s.Stop()
	s.mu.Lock()
	s.tls = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	s.mu.Unlock()
	return s.Start()
}

func (s *Sink) add(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if !s.discard {
		s.msgs = append(s.msgs, m)
	}
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// sinkSession records one SMTP transaction.
type sinkSession struct {
	sink *Sink
	conn *smtp.Conn
	from string
	to   []string
	mail smtp.MailOptions
	rcpt []smtp.RcptOptions
}

var _ smtp.Session = (*sinkSession)(nil)

func (ss *sinkSession) Mail(from string, o *smtp.MailOptions) error {
	ss.from = from
	if o != nil {
		ss.mail = *o
	}
	return nil
}

func (ss *sinkSession) Rcpt(to string, o *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	ss.sink.rcpts = append(ss.sink.rcpts, RcptAttempt{From: ss.from, To: to})
	reply := ss.sink.rcptReply
	ss.sink.mu.Unlock()
	if reply != nil {
		if err := reply(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	if o == nil {
		o = &smtp.RcptOptions{}
	}
	ss.rcpt = append(ss.rcpt, *o)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err
	}
	m := Received{From: ss.from, To: ss.to, Data: buf.Bytes(), Mail: ss.mail, Rcpt: ss.rcpt}
	if st, ok := ss.conn.TLSConnectionState(); ok {
		m.TLS = tls.VersionName(st.Version)
	}
	ss.sink.add(m)
	return nil
}

func (ss *sinkSession) Reset() {
	ss.from, ss.to, ss.mail, ss.rcpt = "", nil, smtp.MailOptions{}, nil
}

func (ss *sinkSession) Logout() error { return nil }
