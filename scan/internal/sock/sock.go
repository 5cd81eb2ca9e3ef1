// Package sock dials the scan engines that speak line protocols over TCP
// or unix sockets (clamd, spamd) with the caller's context bound to the
// connection, and reads their replies with a size cap, so that a hung or
// babbling engine costs a bounded time and memory, never a stuck milter.
package sock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Conn is a connection whose deadline follows a context: the context's
// deadline is the connection's, and cancelling the context unblocks any
// read or write in progress.
type Conn struct {
	net.Conn
	ctx  context.Context
	stop func() bool
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
	return c.Conn.Close()
}

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
