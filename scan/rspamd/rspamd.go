// Package rspamd asks an rspamd worker for a spam score over its HTTP
// protocol (https://rspamd.com/doc/developers/protocol.html): the raw
// message is POSTed to /checkv2 with the SMTP envelope in request headers
// (Queue-Id, IP, Helo, Hostname, From, one Rcpt per recipient), and the
// JSON reply carries the score, the action and the symbols that matched.
package rspamd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailtower/mailtower/internal/netaddr"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/internal/sock"
)

// maxReply caps the JSON reply: symbols with their options and
// descriptions, rarely over 20 KB.
const maxReply = 1 << 20

// Scanner is an rspamd client, safe for concurrent use.
type Scanner struct {
	base   string // "http://127.0.0.1:11333" plus any path prefix, without a trailing slash
	label  string // "rspamd http://127.0.0.1:11333", the prefix of every error
	client *http.Client
}

var (
	_ scan.Scanner = (*Scanner)(nil)
	_ scan.Pinger  = (*Scanner)(nil)
)

// Options configure a client; the composition root fills them from
// [scanners.rspamd].
type Options struct {
	// Address is where the engine listens, in the configuration's form.
	Address string
	// Timeout, when positive, bounds every call.
	Timeout time.Duration
}

// New makes an rspamd client for o.Address ("http://HOST:PORT", the
// normal worker, 11333 by default). o.Timeout, when positive, bounds
// every request even if the caller's context has no deadline.
func New(o Options) (*Scanner, error) {
	if _, _, err := netaddr.ParseHTTPAddress(o.Address); err != nil {
		return nil, fmt.Errorf("rspamd address: %w", err)
	}
	u, err := url.Parse(o.Address)
	if err != nil {
		return nil, fmt.Errorf("rspamd address: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("rspamd address %q: want http://HOST:PORT without query, fragment or user", o.Address)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The scanner is reached directly: an HTTP_PROXY meant for other
	// traffic must not carry every message to a proxy.
	t.Proxy = nil
	t.MaxIdleConnsPerHost = 16
	return &Scanner{
		base:   u.String(),
		label:  "rspamd " + o.Address,
		client: &http.Client{Transport: t, Timeout: o.Timeout},
	}, nil
}

// Name returns "rspamd".
func (s *Scanner) Name() string { return "rspamd" }

// Scan posts msg to /checkv2 and returns one spam finding with rspamd's
// score — also when it is low or negative, since the scores of all
// engines are summed — and the symbols that counted.
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/checkv2", sock.Source(msg.Reader()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.label, err)
	}
	req.ContentLength = msg.Size()
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(sock.Source(msg.Reader())), nil }
	if msg.Size() == 0 {
		// A zero length with a body would be sent chunked, as "unknown".
		req.Body, req.GetBody = http.NoBody, nil
	}
	setEnvelope(req.Header, msg.Envelope)

	body, err := s.do(req)
	if err != nil {
		return nil, err
	}
	res, err := parseReply(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.label, err)
	}
	return []scan.Finding{res.finding()}, nil
}

// do sends req and returns the body of a 200 reply; any other status is
// an error quoting rspamd's explanation.
func (s *Scanner) do(req *http.Request) ([]byte, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.label, err)
	}
	defer resp.Body.Close()
	body, err := sock.ReadAll(resp.Body, maxReply)
	if err != nil {
		return nil, fmt.Errorf("%s: read reply: %w", s.label, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s %s: %s", s.label, req.Method, req.URL.Path, statusText(resp.Status, body))
	}
	return body, nil
}

// setEnvelope passes the SMTP transaction to rspamd, which uses it for
// SPF, for its per-recipient settings and in its log (Queue-Id). Empty
// values are left out (the null sender <> has no From), and so are values
// no HTTP header can carry.
func setEnvelope(h http.Header, env scan.Envelope) {
	set := func(name, value string) {
		if value != "" && validHeaderValue(value) {
			h.Add(name, value)
		}
	}
	set("Queue-Id", env.QueueID)
	set("IP", env.ClientAddr)
	set("Helo", env.Helo)
	set("Hostname", env.ClientHost)
	set("From", env.Sender)
	for _, r := range env.Recipients {
		set("Rcpt", r)
	}
	h.Set("User-Agent", "mailtower")
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// Ping checks that rspamd answers GET /ping with "pong", for health checks.
func (s *Scanner) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/ping", nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s.label, err)
	}
	body, err := s.do(req)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "pong" {
		return fmt.Errorf("%s: GET /ping: unexpected reply %q", s.label, sock.Clip(string(body)))
	}
	return nil
}
