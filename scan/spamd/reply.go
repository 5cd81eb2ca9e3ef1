package spamd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/scan/internal/sock"
)

const (
	// maxReply caps a reply: a status line, two headers and the list of
	// rule names, a few KB even for very spammy mail.
	maxReply = 256 << 10
	// maxHeaders bounds the reply headers (spamd sends two).
	maxHeaders = 32
)

// reply is spamd's answer to SYMBOLS.
type reply struct {
	spam     bool
	score    float64
	required float64
	symbols  []string
}

// Error is a non-EX_OK answer of spamd itself, such as
// "SPAMD/1.0 76 Bad header line: (Content-Length mismatch ...)".
type Error struct {
	Code    int    // sysexits code: 64 EX_USAGE, 69 EX_UNAVAILABLE, 76 EX_PROTOCOL, ...
	Message string // the rest of the status line
}

// Error quotes spamd's status code and message.
func (e *Error) Error() string { return fmt.Sprintf("spamd answered %d %s", e.Code, e.Message) }

// parseReply reads "SPAMD/1.1 0 EX_OK", the headers up to an empty line
// (Content-length and "Spam: True ; 1000.0 / 5.0"), and a body of
// comma-separated rule names, from at most maxReply bytes. A non-zero
// code is an *Error; a missing Spam header, a body shorter than its
// Content-length or any malformed part is an error, never a clean result.
func parseReply(r io.Reader) (*reply, error) {
	br := bufio.NewReader(io.LimitReader(r, maxReply))
	status, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("status line: %w", err)
	}
	proto, rest, _ := strings.Cut(status, " ")
	codeText, msg, _ := strings.Cut(rest, " ")
	code, cerr := strconv.Atoi(codeText)
	version, isSpamd := strings.CutPrefix(proto, "SPAMD/")
	_, verr := strconv.ParseFloat(version, 64)
	if !isSpamd || verr != nil || cerr != nil || code < 0 || strconv.Itoa(code) != codeText {
		return nil, fmt.Errorf("bad status line %q", sock.Clip(status))
	}
	if code != 0 {
		return nil, &Error{Code: code, Message: sock.Clip(msg)}
	}

	rep := &reply{}
	length, haveSpam := -1, false
	for i := 0; ; i++ {
		line, err := readLine(br)
		if err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		if line == "" {
			break
		}
		if i == maxHeaders {
			return nil, fmt.Errorf("more than %d reply headers", maxHeaders)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", sock.Clip(line))
		}
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Content-length"):
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || length >= 0 {
				return nil, fmt.Errorf("bad or repeated Content-length %q", sock.Clip(value))
			}
			length = n
		case strings.EqualFold(name, "Spam"):
			if haveSpam {
				return nil, errors.New("repeated Spam header")
			}
			if err := rep.parseSpam(value); err != nil {
				return nil, err
			}
			haveSpam = true
		}
	}
	if !haveSpam {
		return nil, errors.New("reply without a Spam header")
	}
	body, err := readBody(br, length)
	if err != nil {
		return nil, err
	}
	if rep.symbols, err = parseSymbols(body); err != nil {
		return nil, err
	}
	return rep, nil
}

// readLine reads one CRLF- (or LF-) terminated line; a line cut short by
// the end of the reply is an error.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			if line == "" {
				return "", errors.New("reply ends early")
			}
			return "", fmt.Errorf("truncated reply at %q", sock.Clip(line))
		}
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

// parseSpam reads "True ; 1000.0 / 5.0" (False, and Yes/No for REPORT_IFSPAM).
func (r *reply) parseSpam(v string) error {
	flag, scores, ok1 := strings.Cut(v, ";")
	score, required, ok2 := strings.Cut(scores, "/")
	if !ok1 || !ok2 {
		return fmt.Errorf("bad Spam header %q", sock.Clip(v))
	}
	switch strings.ToLower(strings.TrimSpace(flag)) {
	case "true", "yes":
		r.spam = true
	case "false", "no":
	default:
		return fmt.Errorf("bad Spam header %q", sock.Clip(v))
	}
	var err1, err2 error
	r.score, err1 = strconv.ParseFloat(strings.TrimSpace(score), 64)
	r.required, err2 = strconv.ParseFloat(strings.TrimSpace(required), 64)
	if err1 != nil || err2 != nil || !finite(r.score) || !finite(r.required) {
		return fmt.Errorf("bad scores in Spam header %q", sock.Clip(v))
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// readBody reads exactly length bytes, or to the end when length < 0
// (replies to protocol versions before 1.3 have no Content-length).
func readBody(br *bufio.Reader, length int) (string, error) {
	if length < 0 {
		b, err := io.ReadAll(br)
		return string(b), err
	}
	if length > maxReply {
		return "", fmt.Errorf("Content-length %d over %d bytes", length, maxReply)
	}
	b := make([]byte, length)
	if n, err := io.ReadFull(br, b); err != nil {
		return "", fmt.Errorf("truncated reply: %d of %d body bytes", n, length)
	}
	return string(b), nil
}

// parseSymbols splits "GTUBE,MISSING_DATE,..." into rule names.
// SpamAssassin rule names are letters, digits and underscores; anything
// else means the reply is not what we think it is.
func parseSymbols(body string) ([]string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, nil
	}
	names := strings.Split(body, ",")
	for i, n := range names {
		n = strings.TrimSpace(n)
		if !isRuleName(n) {
			return nil, fmt.Errorf("bad rule name %q in reply", sock.Clip(n))
		}
		names[i] = n
	}
	return names, nil
}

func isRuleName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
