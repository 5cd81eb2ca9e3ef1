// Package policyd is mailtower's Postfix policy delegation server
// (Postfix SMTPD_POLICY_README) and its RCPT-time decisions: outbound
// relay from customer networks, block and allow rules, recipient
// validation, SIZE limits and greylisting of catch-all domains. It also
// serves Postfix socketmap tables (socketmap_table(5)) for relay_domains,
// transport_maps and relay_recipient_maps from the same database.
package policyd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"time"
)

// Handler decides one policy request (Decider).
type Handler interface {
	Decide(ctx context.Context, req Request) (Decision, error)
}

// ServerConfig configures a policy Server.
type ServerConfig struct {
	Limits Limits
	// IdleTimeout closes a connection that sends no request for this long.
	IdleTimeout time.Duration
	// RequestTimeout bounds reading the rest of a started request, deciding
	// it and writing the reply.
	RequestTimeout time.Duration
	// MaxConnections bounds concurrent connections; 0 = no limit.
	MaxConnections int
	Logger         *slog.Logger
	// Decided is told the action of every answer (metrics); may be nil.
	Decided func(action string)
	// Panicked is told "policy" for every panic recovered while answering
	// (metrics); may be nil.
	Panicked func(component string)
	// Refused is told every request answered with a refusal (a reject,
	// greylisting): the mail history records them. It must not block;
	// may be nil.
	Refused func(req Request, dec Decision)
}

// Server answers Postfix policy requests on persistent connections, one
// goroutine per connection (Postfix keeps one per smtpd process).
type Server struct {
	h   Handler
	cfg ServerConfig
	acc acceptor
}

// NewServer returns a Server that asks h.
func NewServer(h Handler, cfg ServerConfig) *Server {
	if cfg.Limits.MaxBytes <= 0 || cfg.Limits.MaxAttributes <= 0 {
		cfg.Limits = DefaultLimits
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 330 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Server{h: h, cfg: cfg, acc: acceptor{name: "policy", max: cfg.MaxConnections, log: cfg.Logger, panicked: cfg.Panicked}}
}

// Serve answers connections from ln until ctx ends; then it stops
// accepting, lets every connection finish the request it is answering,
// closes them and returns nil. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.acc.serve(ctx, ln, s.serveConn)
}

// Connections returns the number of open connections.
func (s *Server) Connections() int { return s.acc.active() }

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 512)
	log := s.cfg.Logger.With("peer", c.RemoteAddr().String())
	var armed time.Time // the connection's deadline as last set
	slack := min(time.Second, s.cfg.IdleTimeout/10)
	arm := func(d time.Time) {
		// The timer is re-armed only when the deadline moves by more than
		// the slack (a second for the default timeouts of minutes), not
		// at every request; an idle connection then lives at least 90%
		// of IdleTimeout. A reply to a request that came whole is written
		// under the idle deadline.
		if d.Before(armed) || d.Sub(armed) >= slack {
			c.SetDeadline(d)
			armed = d
		}
	}
	for {
		arm(time.Now().Add(s.cfg.IdleTimeout))
		if ctx.Err() != nil {
			return
		}
		// Wait for the first byte of a request under the idle timeout,
		// then give the rest of the request RequestTimeout (unless it came
		// whole, as it does from Postfix).
		if _, err := br.Peek(1); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
				log.Debug("policy connection read failed", "err", err)
			}
			return
		}
		deadline := time.Now().Add(s.cfg.RequestTimeout)
		if !requestBuffered(br) {
			arm(deadline)
		}
		req, err := ReadRequest(br, s.cfg.Limits)
		var dec Decision
		hangUp := false
		switch {
		case err == nil:
			dctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
			hangUp = !safely(log, "policy", s.cfg.Panicked, func() { dec, err = s.h.Decide(dctx, req) },
				"queue_id", req["queue_id"], "from", req.Sender(), "to", req.Recipient(), "client", req["client_address"])
			cancel()
			if hangUp {
				dec = Decision{Action: ActionTempfail, Reason: "panic"}
			} else if err != nil {
				log.Error("policy decision failed; answering temporary failure", "err", err,
					"queue_id", req["queue_id"], "from", req.Sender(), "to", req.Recipient(), "client", req["client_address"])
				dec = Decision{Action: ActionTempfail, Reason: "error"}
			} else {
				logDecision(log, req, dec)
				if s.cfg.Refused != nil && dec.Refusal() {
					s.cfg.Refused(req, dec)
				}
			}
		case errors.Is(err, ErrMalformed):
			log.Warn("malformed policy request; answering temporary failure", "err", err)
			dec = Decision{Action: ActionTempfail, Reason: "malformed"}
		default:
			if !errors.Is(err, io.EOF) {
				log.Warn("policy connection closed", "err", err)
			}
			return
		}
		if s.cfg.Decided != nil {
			s.cfg.Decided(dec.Action)
		}
		if err := WriteReply(bw, dec.Action); err != nil {
			log.Debug("policy reply failed", "err", err)
			return
		}
		if hangUp {
			return
		}
	}
}

// requestBuffered reports whether a whole request (up to its empty line)
// is in br's buffer already.
func requestBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.HasPrefix(b, []byte("\n")) || bytes.Contains(b, []byte("\n\n"))
}

func logDecision(log *slog.Logger, req Request, dec Decision) {
	level := slog.LevelInfo
	if dec.Action == ActionDunno {
		level = slog.LevelDebug
	}
	if !log.Enabled(context.Background(), level) {
		return // before the attributes are boxed
	}
	attrs := []any{"queue_id", req["queue_id"], "from", req.Sender(),
		"to", req.Recipient(), "client", req["client_address"], "action", dec.Action, "reason", dec.Reason}
	if dec.Detail != "" {
		attrs = append(attrs, "detail", dec.Detail)
	}
	log.Log(context.Background(), level, "policy decision", attrs...)
}
