package milter

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/d--j/go-milter/mailfilter"
)

// ServerOptions configure the milter listener.
type ServerOptions struct {
	// Network and Address to listen on ("tcp", "127.0.0.1:8891" or "unix", path).
	Network, Address string
	// MaxMemory is the body size go-milter keeps in memory before it
	// spools to a temporary file.
	MaxMemory int
	// MaxBody is the largest body accepted; larger messages are rejected
	// (552), never truncated: a truncated message would be scanned only in
	// part. Set it above Postfix's message_size_limit.
	MaxBody int64
	// MaxHeaders is the most header fields accepted (552 above; 0:
	// DefaultMaxHeaders).
	MaxHeaders uint32
	// Panicked is told "milter" for every panic recovered in a decision
	// (metrics); may be nil.
	Panicked func(component string)
	// MaxScans bounds the messages decided at once (0: DefaultMaxScans);
	// a message beyond it waits up to MaxScanWait, then gets 451.
	MaxScans    int
	MaxScanWait time.Duration
	// Refused counts messages tempfailed for want of a slot, Waiting the
	// messages waiting for one (metrics); may be nil.
	Refused func()
	Waiting func(delta int)
}

// Server is a running milter listener.
type Server struct {
	mf *mailfilter.MailFilter
}

// Listen starts the milter on opts' address with f's decision function.
func Listen(f *Filter, opts ServerOptions) (*Server, error) {
	if opts.Network == "unix" {
		// A socket left by a previous run would make the listen fail.
		if err := os.Remove(opts.Address); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("milter: remove stale socket %s: %w", opts.Address, err)
		}
	}
	lim := newScanLimiter(opts.MaxScans, opts.MaxScanWait, f.log, opts.Refused, opts.Waiting)
	// guard is outermost: a panic in a decision still frees its slot.
	maxHeaders := opts.MaxHeaders
	if maxHeaders == 0 {
		maxHeaders = DefaultMaxHeaders
	}
	decide := guard(f.log, opts.Panicked, headerLimit(f.log, maxHeaders, lim.wrap(f.Decide)))
	mf, err := mailfilter.New(opts.Network, opts.Address, decide,
		mailfilter.WithDecisionAt(mailfilter.DecisionAtEndOfMessage),
		mailfilter.WithErrorHandling(mailfilter.TempFailWhenError),
		mailfilter.WithBody(opts.MaxMemory, opts.MaxBody, mailfilter.RejectMessageWhenTooBig),
		// One field more than the limit is kept, so that headerLimit
		// sees the excess. Not go-milter's RejectMessageWhenTooBig: it
		// makes Postfix wait for a reply to every header field, a round
		// trip per field (a quarter of the milter's CPU on real mail).
		mailfilter.WithHeader(maxHeaders+1, mailfilter.TruncateWhenTooBig),
	)
	if err != nil {
		return nil, fmt.Errorf("milter: listen %s %s: %w", opts.Network, opts.Address, err)
	}
	if opts.Network == "unix" {
		// Postfix (user postfix) must be able to connect.
		if err := os.Chmod(opts.Address, 0o666); err != nil {
			mf.Close()
			return nil, fmt.Errorf("milter: chmod %s: %w", opts.Address, err)
		}
	}
	return &Server{mf: mf}, nil
}

// Addr is the listening address (useful with port 0).
func (s *Server) Addr() string { return s.mf.Addr().String() }

// Shutdown stops accepting connections and waits for the messages in
// flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.mf.Shutdown(ctx) }

// Close stops the listener at once.
func (s *Server) Close() { s.mf.Close() }
