package policyd

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/settings"
)

// panics records recovered panics by component.
type panics struct {
	mu  sync.Mutex
	got []string
}

func (p *panics) add(c string) { p.mu.Lock(); p.got = append(p.got, c); p.mu.Unlock() }
func (p *panics) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.got, ",")
}

// panicHandler panics for recipients starting with "panic@".
type panicHandler struct{ echoHandler }

func (h panicHandler) Decide(ctx context.Context, r Request) (Decision, error) {
	if strings.HasPrefix(r.Recipient(), "panic@") {
		var m map[string]int
		m["x"]++
	}
	return h.echoHandler.Decide(ctx, r)
}

// serveUntilCleanup serves ln with serve until the test ends.
func serveUntilCleanup(t *testing.T, serve func(context.Context, net.Listener) error) string {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

func TestPolicyPanicDefersAndClosesOnlyThatConnection(t *testing.T) {
	var count panics
	var logged bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logged}, nil))
	srv := NewServer(panicHandler{}, ServerConfig{Logger: log, Panicked: count.add})
	addr := serveUntilCleanup(t, srv.Serve)

	other := dial(t, "tcp", addr) // a second smtpd's connection
	c := dial(t, "tcp", addr)
	c.send(req("panic@x.example"))
	if got := c.reply(); got != "action="+ActionTempfail {
		t.Fatalf("panicking request: %q, want action=%s", got, ActionTempfail)
	}
	if got := c.reply(); got != "" {
		t.Fatalf("connection after a panic must be closed, got %q", got)
	}
	for _, cl := range []*client{other, dial(t, "tcp", addr)} { // old and new connections still answered
		cl.send(req("ok@x.example"))
		if got := cl.reply(); got != "action=DUNNO ok@x.example" {
			t.Fatalf("after a panic: %q", got)
		}
	}
	if count.String() != "policy" {
		t.Errorf("panics counted %q, want policy", count.String())
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, want := range []string{"to=panic@x.example", "assignment to entry in nil map", "recover_test.go"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logged.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// panicResolver panics on every look-up.
type panicResolver struct{}

func (panicResolver) Resolve(context.Context, string) (settings.Resolved, error) {
	panic("resolver bug")
}

func TestSocketmapPanicAnswersTemp(t *testing.T) {
	f := newFixture(t)
	var count panics
	m := newSocketmap(f.d.Socketmap.domains, panicResolver{}, f.d.Socketmap.aliases,
		SocketmapConfig{Logger: quiet, Panicked: count.add})
	addr := serveUntilCleanup(t, m.Serve)
	ask := func(c net.Conn, br *bufio.Reader, q string) (string, error) {
		bw := bufio.NewWriter(c)
		if err := WriteNetstring(bw, q); err != nil {
			return "", err
		}
		b, err := ReadNetstring(br, 1000)
		return string(b), err
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	if got, err := ask(c, br, "recipients bob@valid.example"); got != "TEMP internal error" {
		t.Fatalf("look-up that panics: %q %v, want TEMP", got, err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("connection after a panic must be closed")
	}
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(20 * time.Second))
	if got, err := ask(c2, bufio.NewReader(c2), "domains valid.example"); got != "OK valid.example" {
		t.Fatalf("next connection: %q %v", got, err)
	}
	if count.String() != "socketmap" {
		t.Errorf("panics counted %q, want socketmap", count.String())
	}
}
