package saslauth

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVerifier knows bob@example.com with password "correct horse"; err
// makes every check fail with it (a database outage).
type fakeVerifier struct {
	err       error
	active    atomic.Int32
	maxActive atomic.Int32
	hold      time.Duration
	calls     atomic.Int32
}

func (v *fakeVerifier) Verify(_ context.Context, login, password string) (string, error) {
	v.calls.Add(1)
	n := v.active.Add(1)
	defer v.active.Add(-1)
	for m := v.maxActive.Load(); n > m && !v.maxActive.CompareAndSwap(m, n); m = v.maxActive.Load() {
	}
	time.Sleep(v.hold)
	if v.err != nil {
		return "", v.err
	}
	if strings.EqualFold(login, "bob@example.com") && password == "correct horse" {
		return "bob@example.com", nil
	}
	return "", ErrBadLogin
}

type recorder struct {
	mu      sync.Mutex
	logins  []string
	limits  []string
	delays  []time.Duration
	limited int
}

func (r *recorder) Login(mech, result string) {
	r.mu.Lock()
	r.logins = append(r.logins, mech+":"+result)
	r.mu.Unlock()
}

func (r *recorder) Limited(scope string) {
	r.mu.Lock()
	r.limits = append(r.limits, scope)
	r.mu.Unlock()
}

// client is Postfix's side of one connection.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func newServer(t *testing.T, v Verifier, rec *recorder) *Server {
	t.Helper()
	s, err := New(Options{Verifier: v, Limits: DefaultLimits(5 * time.Second), Logger: slog.New(slog.DiscardHandler),
		Events: rec, Sleep: func(_ context.Context, d time.Duration) {
			rec.mu.Lock()
			rec.delays = append(rec.delays, d)
			rec.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dial connects a client and checks the server's handshake.
func dial(t *testing.T, s *Server) *client {
	t.Helper()
	a, b := net.Pipe()
	go func() { s.ServeConn(context.Background(), b); b.Close() }()
	t.Cleanup(func() { a.Close() })
	c := &client{t: t, c: a, br: bufio.NewReader(a)}
	var got []string
	for {
		l := c.read()
		got = append(got, strings.SplitN(l, "\t", 2)[0])
		if l == "DONE" {
			break
		}
	}
	if strings.Join(got, " ") != "VERSION MECH MECH SPID CUID COOKIE DONE" {
		t.Fatalf("handshake: %v", got)
	}
	if _, err := io.WriteString(a, "VERSION\t1\t0\nCPID\t4242\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *client) read() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return strings.TrimSuffix(l, "\n")
}

func (c *client) send(line string) string {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.c, line+"\n"); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return c.read()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func auth(id, mech, extra string) string {
	return "AUTH\t" + id + "\t" + mech + "\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.7\tsecured" + extra
}

func TestPlainAndLogin(t *testing.T) {
	rec := &recorder{}
	s := newServer(t, &fakeVerifier{}, rec)
	c := dial(t, s)
	for _, tc := range []struct{ send, want string }{
		{auth("1", "PLAIN", "\tresp="+b64("\x00bob@example.com\x00correct horse")), "OK\t1\tuser=bob@example.com"},
		{auth("2", "PLAIN", "\tresp="+b64("\x00Bob@Example.com\x00wrong")), "FAIL\t2\treason=Authentication failed"},
		{auth("3", "PLAIN", "\tresp="+b64("\x00nobody@example.com\x00correct horse")), "FAIL\t3\treason=Authentication failed"},
		// Acting for another identity is refused.
		{auth("4", "PLAIN", "\tresp="+b64("carol@example.com\x00bob@example.com\x00correct horse")), "FAIL\t4\treason=Invalid authentication data"},
		{auth("5", "PLAIN", "\tresp=!!notbase64"), "FAIL\t5\treason=Invalid authentication data"},
		{auth("6", "CRAM-MD5", ""), "FAIL\t6\treason=Unsupported authentication mechanism"},
		// Without TLS ("secured"), no password is taken.
		{"AUTH\t7\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp=" + b64("\x00bob@example.com\x00correct horse"), "FAIL\t7\treason=TLS required"},
		// PLAIN without an initial response: an empty challenge (with
		// its data field), then the response.
		{auth("8", "PLAIN", ""), "CONT\t8\t"},
		{"CONT\t8\t" + b64("\x00bob@example.com\x00correct horse"), "OK\t8\tuser=bob@example.com"},
		// LOGIN: "Username:", "Password:".
		{auth("9", "LOGIN", ""), "CONT\t9\t" + b64("Username:")},
		{"CONT\t9\t" + b64("bob@example.com"), "CONT\t9\t" + b64("Password:")},
		{"CONT\t9\t" + b64("correct horse"), "OK\t9\tuser=bob@example.com"},
		// LOGIN with the user name as initial response.
		{auth("10", "login", "\tresp="+b64("bob@example.com")), "CONT\t10\t" + b64("Password:")},
		{"CONT\t10\t" + b64("nope"), "FAIL\t10\treason=Authentication failed"},
		{"CONT\t99\t" + b64("x"), "FAIL\t99\treason=Invalid authentication data"},
	} {
		if got := c.send(tc.send); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.send, got, tc.want)
		}
	}
	want := "PLAIN:ok PLAIN:failed PLAIN:failed PLAIN:failed PLAIN:failed PLAIN:failed PLAIN:ok LOGIN:ok LOGIN:failed"
	if got := strings.Join(rec.logins, " "); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
}

// A check that cannot be made (database down) closes the connection:
// Postfix then answers 454 4.7.0, a temporary failure, never 535.
func TestVerifierErrorClosesConnection(t *testing.T) {
	rec := &recorder{}
	s := newServer(t, &fakeVerifier{err: errors.New("database is locked")}, rec)
	c := dial(t, s)
	io.WriteString(c.c, auth("1", "PLAIN", "\tresp="+b64("\x00bob@example.com\x00correct horse"))+"\n")
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if l, err := c.br.ReadString('\n'); err == nil {
		t.Fatalf("got a reply %q, want the connection closed", l)
	}
	if strings.Join(rec.logins, " ") != "PLAIN:tempfail" {
		t.Errorf("events %v", rec.logins)
	}
}

// Failures slow down the next attempts from the network and for the
// user, growing up to the cap; past the limit the password is not even
// checked.
func TestFailuresAreThrottled(t *testing.T) {
	rec := &recorder{}
	v := &fakeVerifier{}
	s := newServer(t, v, rec)
	c := dial(t, s)
	var last string
	for i := 1; i <= 12; i++ {
		last = c.send(auth(strconv.Itoa(i), "PLAIN", "\tresp="+b64("\x00bob@example.com\x00guess")))
	}
	if !strings.HasSuffix(last, "reason=Too many failed logins, try again later") {
		t.Errorf("12th attempt: %q", last)
	}
	if n := v.calls.Load(); n != 10 {
		t.Errorf("verifier called %d times, want 10 (then refused unchecked)", n)
	}
	want := []time.Duration{0, 0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, d := range rec.delays {
		if i >= len(want) || d != want[i] {
			t.Errorf("delays %v, want %v", rec.delays, want)
			break
		}
	}
	// Another network may still try another user; this user stays locked.
	if got := c.send(strings.Replace(auth("50", "PLAIN", "\tresp="+b64("\x00bob@example.com\x00correct horse")), "192.0.2.7", "198.51.100.1", 1)); !strings.Contains(got, "Too many") {
		t.Errorf("locked user from another network: %q", got)
	}
	if got := c.send(strings.Replace(auth("51", "PLAIN", "\tresp="+b64("\x00carol@example.com\x00x")), "192.0.2.7", "198.51.100.1", 1)); got != "FAIL\t51\treason=Authentication failed" {
		t.Errorf("other user, other network: %q", got)
	}
}

// At most MaxHashing passwords are checked at the same time.
func TestHashingIsBounded(t *testing.T) {
	v := &fakeVerifier{hold: 20 * time.Millisecond}
	s, err := New(Options{Verifier: v, MaxHashing: 2, Limits: DefaultLimits(time.Second), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.check(context.Background(), "bob@example.com", "correct horse"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := v.maxActive.Load(); m > 2 || m < 1 {
		t.Errorf("%d checks at once, want at most 2", m)
	}
}

func TestServeOverSocket(t *testing.T) {
	s := newServer(t, &fakeVerifier{}, &recorder{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		s.ServeConn(ctx, c)
		c.Close()
		done <- nil
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, c: nc, br: bufio.NewReader(nc)}
	io.WriteString(nc, "VERSION\t1\t0\nCPID\t1\n")
	for c.read() != "DONE" {
	}
	if got := c.send(auth("1", "PLAIN", "\tresp="+b64("\x00bob@example.com\x00correct horse"))); got != "OK\t1\tuser=bob@example.com" {
		t.Errorf("got %q", got)
	}
	cancel()
	nc.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
