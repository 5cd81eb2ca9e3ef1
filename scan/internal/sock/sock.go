// Package sock holds the I/O the engine adapters share: dialing engines
// that speak line protocols over TCP or unix sockets (clamd, spamd) with
// the caller's context bound to the connection, reading replies with a
// size cap, and telling a failure to read the message apart from a
// failure of the engine — so that a hung or babbling engine costs bounded
// time and memory, never a stuck milter.
package sock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Endpoint is an engine's socket address with the label that starts its
// errors and the time limit of one call.
type Endpoint struct {
	Network, Address string
	// Label names the engine and its configured address in every error:
	// "clamd tcp:127.0.0.1:3310".
	Label string
	// Timeout, when positive, bounds a call even if the caller's context
	// has no deadline.
	Timeout time.Duration
}

// Open connects to the endpoint with ctx, bounded by the endpoint's
// Timeout, bound to the connection until Close.
func (e Endpoint) Open(ctx context.Context) (*Conn, error) {
	ctx, cancel := WithTimeout(ctx, e.Timeout)
	c, err := Dial(ctx, e.Network, e.Address)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", e.Label, err)
	}
	c.cancel = cancel
	return c, nil
}

// Conn is a connection whose deadline follows a context: the context's
// deadline is the connection's, and cancelling the context unblocks any
// read or write in progress.
type Conn struct {
	net.Conn
	ctx    context.Context
	stop   func() bool
	cancel context.CancelFunc
}

// Dial connects to address on network ("tcp" or "unix") and binds ctx to
// the connection until Close.
func Dial(ctx context.Context, network, address string) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, Cause(ctx, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := nc.SetDeadline(dl); err != nil {
			nc.Close()
			return nil, err
		}
	}
	c := &Conn{Conn: nc, ctx: ctx}
	// A deadline in the past makes blocked reads and writes return at once.
	c.stop = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	return c, nil
}

// Close releases the context and closes the connection.
func (c *Conn) Close() error {
	c.stop()
	if c.cancel != nil {
		c.cancel()
	}
	return c.Conn.Close()
}

// Cause is Cause(ctx, err) with the connection's context.
func (c *Conn) Cause(err error) error { return Cause(c.ctx, err) }

// CloseWrite half-closes the connection where the transport allows it,
// telling the engine that the request is complete (as spamc does).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Cause returns err with the context's error in front when the context
// ended, so that a timeout reads as one (errors.Is(err,
// context.DeadlineExceeded)) rather than as an anonymous i/o error.
func Cause(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %v", cerr, err)
	}
	// The connection's deadline is the context's and may fire a moment
	// before the context's own timer does.
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	return err
}

// ErrTooLong is returned by ReadAll when a reply exceeds its cap.
var ErrTooLong = errors.New("reply too long")

// ReadAll reads r to its end, but no more than limit bytes: a longer
// reply is an error, never silently cut.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], fmt.Errorf("%w (over %d bytes)", ErrTooLong, limit)
	}
	return b, nil
}

// WithTimeout bounds ctx by d when d is positive, so that a caller that
// forgot a deadline still cannot hang on an engine forever.
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// ReadError is a failure to read the message being sent: a local problem,
// not the engine's, so there is no use waiting for the engine's reply.
type ReadError struct{ Err error }

// Error implements error.
func (e *ReadError) Error() string { return "read message: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// Source wraps the message reader being sent so that its failures come
// out as *ReadError, distinct from write errors on the connection.
func Source(r io.Reader) io.Reader { return source{r} }

type source struct{ r io.Reader }

func (s source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &ReadError{Err: err}
	}
	return n, err
}

// copyBuffers are Copy's buffers: a busy gateway runs many scans at once.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Copy streams the message r to the engine w through a pooled buffer;
// failures to read r come out as *ReadError.
func Copy(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	// Hiding w's ReadFrom makes CopyBuffer use the pooled buffer: a
	// net.Conn's ReadFrom would allocate its own for a plain reader.
	return io.CopyBuffer(struct{ io.Writer }{w}, Source(r), *bp)
}

// Clip shortens an engine's reply for quoting in an error message.
func Clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
