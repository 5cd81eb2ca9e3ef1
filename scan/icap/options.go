package icap

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Ping asks the service for its OPTIONS (RFC 3507 section 4.10), for
// health checks: it must answer 200 and offer RESPMOD.
func (s *Scanner) Ping(ctx context.Context) error {
	_, _, err := s.askOptions(ctx)
	return err
}

// options returns the server's preview size (-1 for none), asking again
// when the last answer's Options-TTL has passed.
func (s *Scanner) options(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Now().Before(s.expires) {
		return s.preview, nil
	}
	preview, ttl, err := s.askOptions(ctx)
	if err != nil {
		return 0, err
	}
	s.preview, s.expires = preview, time.Now().Add(ttl)
	return preview, nil
}

// askOptions sends OPTIONS and returns the Preview size (-1 when the
// server asks for none) and how long the answer holds.
func (s *Scanner) askOptions(ctx context.Context) (preview int, ttl time.Duration, err error) {
	c, err := s.ep.Open(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	req := "OPTIONS " + s.uri + " ICAP/1.0\r\nHost: " + s.host + "\r\nConnection: close\r\nEncapsulated: null-body=0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		return 0, 0, fmt.Errorf("%s: OPTIONS: %w", s.ep.Label, c.Cause(err))
	}
	resp, err := readResponse(bufio.NewReader(c))
	if err != nil {
		return 0, 0, fmt.Errorf("%s: OPTIONS: %w", s.ep.Label, c.Cause(err))
	}
	preview, ttl, err = resp.optionsAnswer()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: OPTIONS: %w", s.ep.Label, err)
	}
	return preview, ttl, nil
}

// optionsAnswer reads an OPTIONS response: 200, RESPMOD among the
// Methods, the Preview size and Options-TTL.
func (r *response) optionsAnswer() (preview int, ttl time.Duration, err error) {
	if r.status != 200 {
		return 0, 0, fmt.Errorf("ICAP server answered %d %s", r.status, r.reason)
	}
	if !hasToken(r.first("methods"), "RESPMOD") {
		return 0, 0, fmt.Errorf("service does not offer RESPMOD (Methods: %q)", r.first("methods"))
	}
	preview = -1
	if v := r.first("preview"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxPreview {
			return 0, 0, fmt.Errorf("%w: Preview %q", errGarbled, v)
		}
		preview = n
	}
	ttl = defaultOptionsTTL
	if v := r.first("options-ttl"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("%w: Options-TTL %q", errGarbled, v)
		}
		ttl = min(time.Duration(n)*time.Second, defaultOptionsTTL)
	}
	return preview, ttl, nil
}

// first returns the first value of a header field, "" when absent.
func (r *response) first(name string) string {
	if v := r.header[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func hasToken(list, token string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}
