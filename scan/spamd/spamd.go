// Package spamd asks SpamAssassin's spamd daemon for a spam score over the
// SPAMC/1.5 protocol (spamd(1p), Mail::SpamAssassin's PROTOCOL), on a TCP
// or unix socket.
//
// Each scan is one connection: "SYMBOLS SPAMC/1.5", a Content-length
// header with the exact byte count (spamd refuses a mismatch), an optional
// User header, an empty line and the message as received; then a half
// close. spamd answers "SPAMD/1.1 0 EX_OK", a "Spam: True ; 1000.0 / 5.0"
// header and the names of the rules that hit. SYMBOLS is the cheapest
// command that names the rules (REPORT formats a text report as well).
package spamd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mailtower/mailtower/internal/netaddr"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock"
)

// Scanner is a spamd client. It holds no connection between scans and is
// safe for concurrent use.
type Scanner struct {
	ep   sock.Endpoint // socket address, error label, time limit
	user string
}

var (
	_ scan.Scanner = (*Scanner)(nil)
	_ scan.Pinger  = (*Scanner)(nil)
)

// Options configure a client; the composition root fills them from
// [scanners.spamd].
type Options struct {
	// Address is where the engine listens, in the configuration's form.
	Address string
	// Timeout, when positive, bounds every call.
	Timeout time.Duration
	// User is sent as the SPAMC User header: spamd applies that user's
	// preferences; empty = spamd's default.
	User string
}

// New makes a spamd client for o.Address ("HOST:PORT" or "unix:PATH").
// o.User, when set, is sent as the User header so that spamd applies
// that user's preferences. o.Timeout, when positive, bounds every call
// even if the caller's context has no deadline.
func New(o Options) (*Scanner, error) {
	network, address, err := netaddr.ParseListen(o.Address)
	if err != nil {
		return nil, fmt.Errorf("spamd address: %w", err)
	}
	for _, c := range o.User {
		if c < 0x21 || c == 0x7f {
			return nil, fmt.Errorf("spamd user %q: spaces and control characters are not allowed", o.User)
		}
	}
	return &Scanner{ep: sock.Endpoint{Network: network, Address: address,
		Label: "spamd " + o.Address, Timeout: o.Timeout}, user: o.User}, nil
}

// Name returns "spamd".
func (s *Scanner) Name() string { return "spamd" }

// Scan sends msg to spamd and returns one spam finding carrying
// SpamAssassin's score — also when it is low or negative, since scores of
// all engines are summed — with the names of the rules that hit.
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	c, err := s.ep.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	werr := s.send(c, msg)
	var me *sock.ReadError
	if errors.As(werr, &me) {
		return nil, fmt.Errorf("%s: %w", s.ep.Label, werr)
	}
	rep, rerr := parseReply(c)
	if werr != nil {
		// spamd may refuse the request and hang up before reading it all:
		// its answer says more than our broken pipe.
		var se *Error
		if errors.As(rerr, &se) {
			return nil, fmt.Errorf("%s: %w", s.ep.Label, rerr)
		}
		return nil, fmt.Errorf("%s: send message: %w", s.ep.Label, c.Cause(werr))
	}
	if rerr != nil {
		return nil, fmt.Errorf("%s: %w", s.ep.Label, c.Cause(rerr))
	}
	return []scan.Finding{{
		Scanner:  "spamd",
		Category: scan.Spam,
		Rule:     "SPAMASSASSIN",
		Score:    rep.score,
		Value:    rep.score,
		Reason:   fmt.Sprintf("SpamAssassin score %.1f (required %.1f)", rep.score, rep.required),
		Rules:    rep.symbols,
	}}, nil
}

// send writes the SYMBOLS request and the message, then half-closes.
func (s *Scanner) send(c *sock.Conn, msg *scan.Message) error {
	head := fmt.Sprintf("SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n", msg.Size())
	if s.user != "" {
		head += "User: " + s.user + "\r\n"
	}
	if _, err := io.WriteString(c, head+"\r\n"); err != nil {
		return err
	}
	n, err := sock.Copy(c, msg.Reader())
	if err != nil {
		return err
	}
	if n != msg.Size() {
		return &sock.ReadError{Err: fmt.Errorf("read %d of %d bytes", n, msg.Size())}
	}
	return c.CloseWrite()
}

// Ping checks that spamd answers (PING → "SPAMD/1.5 0 PONG"), for health
// checks.
func (s *Scanner) Ping(ctx context.Context) error {
	c, err := s.ep.Open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "PING SPAMC/1.5\r\n\r\n"); err != nil {
		return fmt.Errorf("%s: PING: %w", s.ep.Label, c.Cause(err))
	}
	b, err := sock.ReadAll(c, 1024)
	if err != nil {
		return fmt.Errorf("%s: PING: %w", s.ep.Label, c.Cause(err))
	}
	if string(b) != "SPAMD/1.5 0 PONG\r\n" {
		return fmt.Errorf("%s: PING: unexpected reply %q", s.ep.Label, sock.Clip(string(b)))
	}
	return nil
}
