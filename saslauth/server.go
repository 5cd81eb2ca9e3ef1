package saslauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// ErrBadLogin is a Verifier's answer for an unknown login or a wrong
// password alike.
var ErrBadLogin = errors.New("wrong login or password")

// Verifier checks a login and password. It returns the canonical login
// name that Postfix records as the SASL user (and that the sender login
// map names), ErrBadLogin, or another error when it could not check (a
// temporary failure). It must take as long for an unknown login as for a
// known one.
type Verifier interface {
	Verify(ctx context.Context, login, password string) (string, error)
}

// Events receives what happened, for metrics; every method may be
// called concurrently. A nil Events is allowed.
type Events interface {
	// Login is one finished attempt: result is ok, failed, refused
	// (rate limit) or tempfail.
	Login(mech, result string)
	// Limited is one attempt delayed or refused by the net or user limit.
	Limited(scope string)
}

// Options configure a Server.
type Options struct {
	Verifier Verifier
	// MaxHashing bounds concurrent Verify calls (argon2id takes memory
	// and a CPU each); 0 = the number of CPUs.
	MaxHashing int
	// Limits are the failed-login rules (DefaultLimits).
	Limits Limits
	// Wait bounds how long an attempt waits for a hashing slot; past it
	// the attempt fails temporarily. Default 5 s (Postfix waits 10 s).
	Wait time.Duration
	// IdleTimeout closes a connection that sent nothing for this long
	// (an smtpd process keeps its connection while it lives). Default 1h.
	IdleTimeout time.Duration
	Logger      *slog.Logger
	Events      Events
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time
	// Sleep waits for a rate-limit delay (tests); nil = a timer that
	// ends early with ctx.
	Sleep func(ctx context.Context, d time.Duration)
}

// Server answers Postfix's authentication requests.
type Server struct {
	o       Options
	lim     *limiter
	hashing chan struct{}
	cookie  string
	cuid    atomic.Uint32
}

// New returns a Server.
func New(o Options) (*Server, error) {
	if o.Verifier == nil {
		return nil, errors.New("saslauth: no verifier")
	}
	if o.MaxHashing <= 0 {
		o.MaxHashing = runtime.NumCPU()
	}
	if o.Wait <= 0 {
		o.Wait = 5 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	c := make([]byte, 16)
	if _, err := rand.Read(c); err != nil {
		return nil, fmt.Errorf("saslauth: cookie: %w", err)
	}
	return &Server{o: o, lim: newLimiter(o.Limits, o.Now), hashing: make(chan struct{}, o.MaxHashing),
		cookie: hex.EncodeToString(c)}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ServeConn speaks the protocol on one connection until it closes or
// ctx ends (run it from an accept loop such as policyd.ServeConns).
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriter(c)
	// The server's handshake does not wait for the client's (Dovecot's
	// order: VERSION, MECH..., SPID, CUID, COOKIE, DONE).
	fmt.Fprintf(bw, "VERSION\t%d\t%d\n", versionMajor, versionMinor)
	fmt.Fprintf(bw, "MECH\t%s\tplaintext\n", MechPlain)
	fmt.Fprintf(bw, "MECH\t%s\tplaintext\n", MechLogin)
	fmt.Fprintf(bw, "SPID\t%d\n", os.Getpid())
	fmt.Fprintf(bw, "CUID\t%d\n", s.cuid.Add(1))
	fmt.Fprintf(bw, "COOKIE\t%s\n", s.cookie)
	fmt.Fprintf(bw, "DONE\n")
	if err := bw.Flush(); err != nil {
		return
	}
	conn := &session{s: s, w: bw, pending: map[uint32]*pending{}}
	for {
		c.SetReadDeadline(s.o.Now().Add(s.o.IdleTimeout))
		if ctx.Err() != nil {
			return
		}
		line, err := readLine(br)
		if err != nil {
			if ctx.Err() == nil && !isClosed(err) {
				s.o.Logger.Warn("sasl: bad input; closing", "err", err)
			}
			return
		}
		c.SetReadDeadline(time.Time{})
		if !conn.handle(ctx, line) {
			return
		}
		c.SetWriteDeadline(s.o.Now().Add(10 * time.Second))
		if err := bw.Flush(); err != nil {
			return
		}
	}
}

func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) || err.Error() == "EOF"
}

// readLine reads one LF-terminated line of at most maxLine bytes.
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		frag, err := br.ReadSlice('\n')
		b.Write(frag)
		if b.Len() > maxLine+1 {
			return "", fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == nil {
			return strings.TrimSuffix(b.String(), "\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
}

// encode is a challenge as Postfix wants it: base64, possibly empty.
func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
