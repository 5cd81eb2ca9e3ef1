// Package clamd scans messages for viruses with ClamAV's clamd daemon over
// its INSTREAM protocol (clamd(8), "INSTREAM"), on a TCP or unix socket.
//
// Each scan is one connection: the z-prefixed, NUL-terminated command
// "zINSTREAM\0", the message in chunks each preceded by its length as a
// 4-byte big-endian number, a zero-length chunk, then one reply such as
// "stream: OK\0" or "stream: Eicar-Test.UNOFFICIAL FOUND\0". clamd closes
// the connection after answering. Anything but OK or FOUND — an ERROR, a
// size limit, a garbled or missing reply — is an error, which the caller
// turns into a tempfail: a message is never clean because clamd could not
// say.
package clamd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mailtower/mailtower/internal/netaddr"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock"
)

const (
	// chunkSize is the payload of one INSTREAM chunk; clamd reads chunks
	// of any size up to its StreamMaxLength.
	chunkSize = 64 << 10
	// maxReply caps what is read back: a reply is one line per signature
	// found (several with AllMatchScan), never more than a few hundred bytes.
	maxReply = 64 << 10
)

// Scanner is a clamd client. It holds no connection between scans and is
// safe for concurrent use.
type Scanner struct {
	ep sock.Endpoint // socket address, error label, time limit
}

var (
	_ scan.Scanner = (*Scanner)(nil)
	_ scan.Pinger  = (*Scanner)(nil)
)

// Options configure a client; the composition root fills them from
// [scanners.clamd].
type Options struct {
	// Address is where the engine listens, in the configuration's form.
	Address string
	// Timeout, when positive, bounds every call.
	Timeout time.Duration
}

// New makes a clamd client for o.Address ("tcp:HOST:PORT" or
// "unix:PATH"). o.Timeout, when positive, bounds every call even if the
// caller's context has no deadline.
func New(o Options) (*Scanner, error) {
	network, address, err := netaddr.ParseClamdAddress(o.Address)
	if err != nil {
		return nil, fmt.Errorf("clamd address: %w", err)
	}
	return &Scanner{ep: sock.Endpoint{Network: network, Address: address, Label: "clamd " + o.Address, Timeout: o.Timeout}}, nil
}

// Name returns "clamd".
func (s *Scanner) Name() string { return "clamd" }

// Scan streams msg to clamd and returns one virus finding per signature
// that matched, or none when clamd answered OK.
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	return s.ScanContent(ctx, msg.Reader(), msg.Size(), msg.Envelope.QueueID)
}

// ScanContent streams size bytes of r (a whole message or one decoded
// part) to clamd; clamd needs neither the size nor the id.
func (s *Scanner) ScanContent(ctx context.Context, r io.Reader, size int64, id string) ([]scan.Finding, error) {
	c, err := s.ep.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	werr := sendStream(c, r)
	var me *sock.ReadError
	if errors.As(werr, &me) {
		return nil, fmt.Errorf("%s: %w", s.ep.Label, werr)
	}
	reply, rerr := sock.ReadAll(c, maxReply)
	if werr != nil {
		// clamd answers and hangs up as soon as the stream exceeds its
		// StreamMaxLength: its ERROR says more than our broken pipe. Any
		// other answer to part of the message is no verdict.
		var ce *Error
		if _, perr := parseReply(reply); errors.As(perr, &ce) {
			return nil, fmt.Errorf("%s: %w", s.ep.Label, perr)
		}
		return nil, fmt.Errorf("%s: send message: %w", s.ep.Label, c.Cause(werr))
	}
	if rerr != nil {
		return nil, fmt.Errorf("%s: read reply: %w", s.ep.Label, c.Cause(rerr))
	}
	names, err := parseReply(reply)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.ep.Label, err)
	}
	findings := make([]scan.Finding, 0, len(names))
	for _, name := range names {
		findings = append(findings, scan.Finding{
			Scanner:  "clamd",
			Category: scan.Virus,
			Rule:     name,
			Reason:   "virus " + name + " found by ClamAV",
		})
	}
	return findings, nil
}

// chunkPool holds chunk buffers: a busy gateway runs many scans at once,
// each would otherwise allocate its own 64 KiB.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 4+chunkSize); return &b }}

// sendStream writes the INSTREAM command, r in length-prefixed chunks, and
// the zero-length terminator.
func sendStream(w io.Writer, r io.Reader) error {
	if _, err := io.WriteString(w, "zINSTREAM\x00"); err != nil {
		return err
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	r = sock.Source(r)
	for {
		n, err := io.ReadFull(r, buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf[:4], uint32(n))
			if _, werr := w.Write(buf[:4+n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	_, err := w.Write([]byte{0, 0, 0, 0})
	return err
}

// Ping checks that clamd answers (PING → PONG), for health checks.
func (s *Scanner) Ping(ctx context.Context) error {
	reply, err := s.command(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("%s: PING: unexpected reply %q", s.ep.Label, sock.Clip(reply))
	}
	return nil
}

// Version returns clamd's version line, such as
// "ClamAV 1.4.6/27463/Sat Nov 21 09:40:26 2026" (engine/signatures/date).
func (s *Scanner) Version(ctx context.Context) (string, error) {
	reply, err := s.command(ctx, "VERSION")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(reply, "ClamAV ") {
		return "", fmt.Errorf("%s: VERSION: unexpected reply %q", s.ep.Label, sock.Clip(reply))
	}
	return reply, nil
}

// command sends one z-prefixed command and returns the reply without its
// NUL terminator.
func (s *Scanner) command(ctx context.Context, cmd string) (string, error) {
	c, err := s.ep.Open(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "z"+cmd+"\x00"); err != nil {
		return "", fmt.Errorf("%s: %s: %w", s.ep.Label, cmd, c.Cause(err))
	}
	b, err := sock.ReadAll(c, maxReply)
	if err != nil {
		return "", fmt.Errorf("%s: %s: read reply: %w", s.ep.Label, cmd, c.Cause(err))
	}
	reply, ok := strings.CutSuffix(string(b), "\x00")
	if !ok {
		return "", fmt.Errorf("%s: %s: truncated reply %q", s.ep.Label, cmd, sock.Clip(string(b)))
	}
	return reply, nil
}
