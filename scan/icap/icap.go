// Package icap scans messages for viruses with an antivirus engine that
// speaks ICAP (RFC 3507): c-icap's virus_scan module, or the ICAP servers
// of commercial engines (Sophos, Kaspersky, ESET, McAfee, Trend Micro).
//
// Each scan is one connection and one RESPMOD request: the message is the
// body of an encapsulated HTTP response ("Content-Type: message/rfc822"),
// sent chunked, first a preview of the size the server asked for in its
// OPTIONS answer. The server answers "204 No Content" (nothing to change:
// clean), "100 Continue" after the preview (the rest follows, then the
// real answer), or "200 OK" with the virus named in X-Infection-Found,
// X-Violations-Found or X-Virus-ID and, from c-icap, an encapsulated
// "403 Forbidden" page naming it. Anything else — another status, a
// garbled or truncated reply, a refused connection, a timeout — is an
// error, which the caller turns into a tempfail: a message is never clean
// because the engine could not say.
package icap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/mailtower/mailtower/internal/netaddr"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock"
)

// Name is the engine's name in findings, logs and metrics.
const Name = "icap"

const (
	// maxPreview bounds the preview size a server may ask for.
	maxPreview = 1 << 20
	// defaultOptionsTTL is how long an OPTIONS answer without
	// Options-TTL is kept.
	defaultOptionsTTL = time.Hour
)

// Scanner is an ICAP client. It holds no connection between scans and is
// safe for concurrent use.
type Scanner struct {
	ep   sock.Endpoint // socket address, error label, time limit
	uri  string        // "icap://127.0.0.1:1344/virus_scan", the request URI
	host string        // the Host header

	mu      sync.Mutex
	preview int       // the server's Preview (-1: none)
	expires time.Time // when the OPTIONS answer must be asked again
}

var (
	_ scan.Scanner = (*Scanner)(nil)
	_ scan.Pinger  = (*Scanner)(nil)
)

// Options configure a client; the composition root fills them from
// [scanners.icap].
type Options struct {
	// Address is where the engine listens, in the configuration's form.
	Address string
	// Timeout, when positive, bounds every call.
	Timeout time.Duration
}

// New makes an ICAP client for o.Address ("icap://HOST[:PORT]/SERVICE",
// port 1344 by default). o.Timeout, when positive, bounds every call
// even if the caller's context has no deadline.
func New(o Options) (*Scanner, error) {
	network, address, uri, err := netaddr.ParseICAPAddress(o.Address)
	if err != nil {
		return nil, fmt.Errorf("icap address: %w", err)
	}
	u, _ := url.Parse(uri) // ParseICAPAddress built it
	return &Scanner{
		ep:   sock.Endpoint{Network: network, Address: address, Label: "icap " + o.Address, Timeout: o.Timeout},
		uri:  uri,
		host: u.Host,
	}, nil
}

// Name returns "icap".
func (s *Scanner) Name() string { return Name }

// Scan sends msg to the ICAP service and returns one virus finding per
// threat the server named, or none when it answered 204 or returned the
// message unchanged.
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	return s.ScanContent(ctx, msg.Reader(), msg.Size(), msg.Envelope.QueueID)
}

// ScanContent sends size bytes of r (a whole message or one decoded part)
// to the ICAP service; id names it in the server's log.
func (s *Scanner) ScanContent(ctx context.Context, r io.Reader, size int64, id string) ([]scan.Finding, error) {
	preview, err := s.options(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.ep.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	names, err := s.respmod(c, r, size, preview, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.ep.Label, err)
	}
	findings := make([]scan.Finding, 0, len(names))
	for _, n := range names {
		findings = append(findings, scan.Finding{
			Scanner:  Name,
			Category: scan.Virus,
			Rule:     n,
			Reason:   "virus " + n + " found by the ICAP engine",
		})
	}
	return findings, nil
}

// respmod runs one RESPMOD exchange on c and returns the threat names.
func (s *Scanner) respmod(c *sock.Conn, r io.Reader, size int64, preview int, id string) ([]string, error) {
	bw := bufio.NewWriterSize(c, 32<<10)
	br := bufio.NewReaderSize(c, 16<<10)
	reqHdr := "GET /" + queueRef(id) + " HTTP/1.1\r\nHost: mailtower\r\n\r\n"
	resHdr := "HTTP/1.1 200 OK\r\nContent-Type: message/rfc822\r\nContent-Length: " + strconv.FormatInt(size, 10) + "\r\n\r\n"
	head := "RESPMOD " + s.uri + " ICAP/1.0\r\nHost: " + s.host + "\r\nAllow: 204\r\nConnection: close\r\n"
	if preview >= 0 {
		head += "Preview: " + strconv.Itoa(preview) + "\r\n"
	}
	head += fmt.Sprintf("Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n\r\n", len(reqHdr), len(reqHdr)+len(resHdr))
	bw.WriteString(head + reqHdr + resHdr)

	src := sock.Source(r)
	if preview >= 0 {
		complete, err := writePreview(bw, src, size, preview)
		if err != nil {
			return nil, s.sendFailed(c, br, err)
		}
		if err := bw.Flush(); err != nil {
			return nil, s.sendFailed(c, br, err)
		}
		resp, err := readResponse(br)
		if err != nil {
			return nil, fmt.Errorf("read reply to preview: %w", c.Cause(err))
		}
		if resp.status != 100 {
			return resp.verdict(br)
		}
		if complete {
			return nil, fmt.Errorf("100 Continue after a complete (ieof) preview")
		}
	}
	if err := writeChunks(bw, src, size-int64(max(preview, 0))); err != nil {
		return nil, s.sendFailed(c, br, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, s.sendFailed(c, br, err)
	}
	resp, err := readResponse(br)
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", c.Cause(err))
	}
	if resp.status == 100 {
		return nil, fmt.Errorf("unexpected 100 Continue after the whole message")
	}
	return resp.verdict(br)
}

// sendFailed explains a failure to send: a local read error as such, and
// otherwise the server's own answer when it sent one (an ICAP server may
// answer early, such as 413 or 500, and hang up).
func (s *Scanner) sendFailed(c *sock.Conn, br *bufio.Reader, err error) error {
	var me *sock.ReadError
	if errors.As(err, &me) {
		return err
	}
	if resp, rerr := readResponse(br); rerr == nil && resp.status >= 300 {
		_, verr := resp.verdict(br)
		return verr
	}
	return fmt.Errorf("send message: %w", c.Cause(err))
}

// queueRef is the path of the encapsulated request: the queue id, which
// the ICAP server logs as the URL of the object.
func queueRef(id string) string {
	if id == "" {
		return "message"
	}
	return "message/" + url.PathEscape(id)
}

// writePreview writes the first n bytes of r (the body of size bytes)
// as the preview and its end: "0; ieof" when the whole body fits (RFC
// 3507 section 4.5), so the server answers at once, else "0" and the
// server answers 100, 204 or its verdict.
func writePreview(w *bufio.Writer, r io.Reader, size int64, n int) (complete bool, err error) {
	complete = size <= int64(n)
	m := min(size, int64(n))
	if m > 0 {
		buf := make([]byte, m)
		if _, err := io.ReadFull(r, buf); err != nil {
			return false, shortBody(err)
		}
		if err := writeChunk(w, buf); err != nil {
			return false, err
		}
	}
	if complete {
		_, err = w.WriteString("0; ieof\r\n\r\n")
		return true, err
	}
	_, err = w.WriteString("0\r\n\r\n")
	return false, err
}

// chunkPool holds the buffers of writeChunks: a busy gateway runs many
// scans at once.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// writeChunks writes exactly n bytes of r as chunks, then the last chunk.
func writeChunks(w *bufio.Writer, r io.Reader, n int64) error {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return shortBody(err)
		}
		if err := writeChunk(w, buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	_, err := w.WriteString("0\r\n\r\n")
	return err
}

// shortBody turns the end of a message shorter than its size into a read
// error: the server must not judge part of a message.
func shortBody(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &sock.ReadError{Err: fmt.Errorf("message shorter than its size: %w", err)}
	}
	return err
}

// writeChunk writes b as one chunk; the error is the writer's, sticky.
func writeChunk(w *bufio.Writer, b []byte) error {
	w.WriteString(strconv.FormatInt(int64(len(b)), 16) + "\r\n")
	w.Write(b)
	_, err := w.WriteString("\r\n")
	return err
}
