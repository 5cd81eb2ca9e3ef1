// Package avparts gives the antivirus engines what mailtower decoded, as
// Amavis does: besides the raw message, every decoded leaf of every
// reading of the MIME walk, and every archive member the content filter
// opens, is scanned by the engine on its own. A virus that the engine's
// own MIME parser misses (a nested message/rfc822 in base64, a boundary in
// RFC 2231 pieces, conflicting Content-Type headers) is still found when
// mailtower's walker decodes it.
//
// Identical content is scanned once per message and engine (by SHA-256),
// and the work is bounded by [limits]: the MIME walk's depth, parts and
// decoded bytes, and the content filter's unpack budget, archive depth
// and member count. A part that could not be scanned is an engine error,
// as for the raw message: the message tempfails, it is never clean.
package avparts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/rules"
)

// ContentScanner is an antivirus engine that can scan any content, not
// only a whole message: scan/clamd and scan/icap.
type ContentScanner interface {
	scan.Scanner
	// ScanContent scans size bytes of r; id names the message in the
	// engine's log.
	ScanContent(ctx context.Context, r io.Reader, size int64, id string) ([]scan.Finding, error)
}

// Scanner scans the raw message and its decoded parts with one engine.
// It is safe for concurrent use when the engine is.
type Scanner struct {
	av  ContentScanner
	lim rules.Limits
}

var (
	_ scan.Scanner = (*Scanner)(nil)
	_ scan.Pinger  = (*Scanner)(nil)
)

// New wraps av; lim bounds the walk and the archives opened (the same
// limits as the content filter's, so that the walk is shared).
func New(av ContentScanner, lim rules.Limits) *Scanner { return &Scanner{av: av, lim: lim} }

// Name is the engine's name.
func (s *Scanner) Name() string { return s.av.Name() }

// Ping asks the engine, when it can be asked.
func (s *Scanner) Ping(ctx context.Context) error {
	if p, ok := s.av.(scan.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Scan scans the raw message, then every distinct decoded part and
// archive member, and returns each virus once: the first place it was
// found names it.
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	out, err := s.av.Scan(ctx, msg)
	if err != nil {
		return nil, err
	}
	m, err := msg.Walk(s.lim.Walk())
	if err != nil {
		return nil, fmt.Errorf("%s: decoded parts: %w", s.av.Name(), err)
	}
	found := map[string]bool{}
	for _, f := range out {
		found[f.Rule] = true
	}
	seen := map[[sha256.Size]byte]bool{}
	var scanErr error
	rules.EachFile(ctx, m, s.lim, func(where string, data []byte) bool {
		if len(data) == 0 {
			return true
		}
		sum := sha256.Sum256(data)
		if seen[sum] {
			return true
		}
		seen[sum] = true
		fs, err := s.av.ScanContent(ctx, bytes.NewReader(data), int64(len(data)), msg.Envelope.QueueID)
		if err != nil {
			scanErr = fmt.Errorf("%s: %w", where, err)
			return false
		}
		for _, f := range fs {
			if !found[f.Rule] {
				found[f.Rule] = true
				f.Reason += " in " + where
				out = append(out, f)
			}
		}
		return true
	})
	if scanErr != nil {
		return nil, scanErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: decoded parts: %w", s.av.Name(), err)
	}
	return out, nil
}
