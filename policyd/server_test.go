package policyd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoHandler answers with the recipient, or fails for "fail@...".
type echoHandler struct{}

func (echoHandler) Decide(_ context.Context, r Request) (Decision, error) {
	if strings.HasPrefix(r.Recipient(), "fail@") {
		return Decision{}, errors.New("database on fire")
	}
	return Decision{Action: "DUNNO " + r.Recipient()}, nil
}

func startServer(t *testing.T, network string, cfg ServerConfig) (addr string, stop func() error) {
	t.Helper()
	address := "127.0.0.1:0"
	if network == "unix" {
		address = "unix:" + filepath.Join(t.TempDir(), "policy.sock")
	}
	ln, err := Listen(address)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Logger = quiet
	srv := NewServer(echoHandler{}, cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("Serve did not return after cancel")
		}
	}
	t.Cleanup(func() { stop() })
	return ln.Addr().String(), stop
}

type client struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, network, addr string) *client {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a hung test fails instead of hanging
	return &client{c: c, br: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	if _, err := io.WriteString(c.c, s); err != nil {
		panic(err)
	}
}

// reply reads one reply; "" when the server closed the connection.
func (c *client) reply() string {
	var lines []string
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			return strings.Join(lines, "|")
		}
		l = strings.TrimSuffix(l, "\n")
		if l == "" {
			return strings.Join(lines, "|")
		}
		lines = append(lines, l)
	}
}

func req(rcpt string) string {
	return "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\nsender=a@b.example\nrecipient=" + rcpt + "\n\n"
}

func TestServerProtocol(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr, _ := startServer(t, network, ServerConfig{Limits: Limits{MaxBytes: 1024, MaxAttributes: 10}})
			c := dial(t, network, addr)
			for _, tc := range []struct{ name, send, want string }{
				{"first request", req("one@x.example"), "action=DUNNO one@x.example"},
				{"second on the same connection", req("two@x.example"), "action=DUNNO two@x.example"},
				{"malformed line", "request=smtpd_access_policy\ngarbage\n\n", "action=" + ActionTempfail},
				{"survives malformed", req("three@x.example"), "action=DUNNO three@x.example"},
				{"too many attributes", strings.Repeat("a=b\n", 11) + "\n", "action=" + ActionTempfail},
				{"too large", "x=" + strings.Repeat("y", 2000) + "\n\n", "action=" + ActionTempfail},
				{"internal error", req("fail@x.example"), "action=" + ActionTempfail},
				{"wrong request type is the handler's call", "request=other\nrecipient=r@x\n\n", "action=DUNNO r@x"},
				{"still alive", req("four@x.example"), "action=DUNNO four@x.example"},
			} {
				c.send(tc.send)
				if got := c.reply(); got != tc.want {
					t.Fatalf("%s: got %q, want %q", tc.name, got, tc.want)
				}
			}
		})
	}
}

func TestServerPipelinedRequests(t *testing.T) {
	addr, _ := startServer(t, "tcp", ServerConfig{})
	c := dial(t, "tcp", addr)
	var all strings.Builder
	for i := range 50 {
		all.WriteString(req(fmt.Sprintf("r%d@x.example", i)))
	}
	c.send(all.String())
	for i := range 50 {
		if got, want := c.reply(), fmt.Sprintf("action=DUNNO r%d@x.example", i); got != want {
			t.Fatalf("reply %d: %q, want %q", i, got, want)
		}
	}
}

func TestServerClosesIdleAndBrokenConnections(t *testing.T) {
	addr, _ := startServer(t, "tcp", ServerConfig{IdleTimeout: 50 * time.Millisecond, RequestTimeout: 50 * time.Millisecond})
	for _, tc := range []struct{ name, send string }{
		{"idle", ""},
		{"stalled inside a request", "request=smtpd_access_policy\n"},
		{"endless junk", strings.Repeat("x", 2<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, "tcp", addr)
			go c.c.Write([]byte(tc.send)) // the server may close before reading it all
			if got := c.reply(); got != "" && got != "action="+ActionTempfail {
				t.Fatalf("got %q", got)
			}
			if _, err := c.br.ReadByte(); err == nil {
				t.Fatal("connection still open")
			}
		})
	}
}

func TestServerConnectionLimit(t *testing.T) {
	addr, _ := startServer(t, "tcp", ServerConfig{MaxConnections: 1})
	first := dial(t, "tcp", addr)
	first.send(req("a@x.example"))
	if got := first.reply(); got != "action=DUNNO a@x.example" {
		t.Fatalf("first: %q", got)
	}
	second := dial(t, "tcp", addr)
	second.send(req("b@x.example"))
	if got := second.reply(); got != "" {
		t.Fatalf("second connection over the limit was answered: %q", got)
	}
}

func TestServerGracefulShutdown(t *testing.T) {
	addr, stop := startServer(t, "tcp", ServerConfig{})
	c := dial(t, "tcp", addr)
	c.send(req("a@x.example"))
	if got := c.reply(); got != "action=DUNNO a@x.example" {
		t.Fatalf("before shutdown: %q", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.br.ReadByte(); err == nil {
		t.Fatal("idle connection not closed on shutdown")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}

// TestServerManyConnections holds 300 persistent connections open at
// once (one per smtpd process of a busy Postfix) and gets every one of
// them answered, twice.
func TestServerManyConnections(t *testing.T) {
	addr, _ := startServer(t, "tcp", ServerConfig{MaxConnections: 1000})
	const n = 300
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = dial(t, "tcp", addr)
	}
	for round := range 2 {
		errs := make(chan error, n)
		for i, c := range cs {
			go func() {
				rcpt := fmt.Sprintf("r%d-%d@x.example", i, round)
				c.send(req(rcpt))
				if got := c.reply(); got != "action=DUNNO "+rcpt {
					errs <- fmt.Errorf("connection %d: %q", i, got)
					return
				}
				errs <- nil
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestServerTellsDecided(t *testing.T) {
	var mu sync.Mutex
	var got []string
	addr, stop := startServer(t, "tcp", ServerConfig{Decided: func(action string) {
		mu.Lock()
		got = append(got, action)
		mu.Unlock()
	}})
	c := dial(t, "tcp", addr)
	for _, r := range []string{req("one@x.example"), req("fail@x.example")} {
		c.send(r)
		c.reply()
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"DUNNO one@x.example", ActionTempfail}; !slices.Equal(got, want) {
		t.Fatalf("Decided got %q, want %q (every answer, errors included)", got, want)
	}
}

func TestServerTimeoutsFollowActivity(t *testing.T) {
	t.Run("busy connection outlives the idle timeout", func(t *testing.T) {
		addr, _ := startServer(t, "tcp", ServerConfig{IdleTimeout: 300 * time.Millisecond, RequestTimeout: 100 * time.Millisecond})
		c := dial(t, "tcp", addr)
		for i := range 12 { // 1.2 s of requests, 100 ms apart
			c.send(req(fmt.Sprintf("r%d@x.example", i)))
			if got, want := c.reply(), fmt.Sprintf("action=DUNNO r%d@x.example", i); got != want {
				t.Fatalf("request %d: %q, want %q", i, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	t.Run("stalled request ends at the request timeout, not the idle one", func(t *testing.T) {
		addr, _ := startServer(t, "tcp", ServerConfig{IdleTimeout: 10 * time.Second, RequestTimeout: 100 * time.Millisecond})
		c := dial(t, "tcp", addr)
		c.send(req("first@x.example"))
		if got := c.reply(); got != "action=DUNNO first@x.example" {
			t.Fatalf("got %q", got)
		}
		start := time.Now()
		c.send("request=smtpd_access_policy\n")
		if got := c.reply(); got != "" {
			t.Fatalf("half a request answered: %q", got)
		}
		if waited := time.Since(start); waited > 5*time.Second {
			t.Fatalf("closed after %v: the idle timeout applied to a started request", waited)
		}
	})
}
