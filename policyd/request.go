package policyd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Request is one Postfix policy delegation request: the name=value
// attributes of SMTPD_POLICY_README, names as Postfix sends them.
type Request map[string]string

// Attribute accessors for the names mailtower decides on.

// State is protocol_state (CONNECT, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE, VRFY, ETRN).
func (r Request) State() string { return strings.ToUpper(r["protocol_state"]) }

// Sender is the envelope sender as Postfix received it ("" for the null sender).
func (r Request) Sender() string { return r["sender"] }

// Recipient is the envelope recipient of this RCPT.
func (r Request) Recipient() string { return r["recipient"] }

// Client is the SMTP client's IP address; ok is false when Postfix sent
// none or something unparsable (e.g. "unknown" for a non-IP transport).
func (r Request) Client() (netip.Addr, bool) {
	a, err := netip.ParseAddr(r["client_address"])
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// Size is the SIZE= the client announced in MAIL FROM; ok is false when
// none was announced (Postfix sends size=0 then).
func (r Request) Size() (int64, bool) {
	n, err := strconv.ParseInt(r["size"], 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// Limits bound what one request may hold.
type Limits struct {
	// MaxBytes bounds the whole request, lines and newlines included.
	MaxBytes int
	// MaxAttributes bounds the number of name=value lines.
	MaxAttributes int
}

// DefaultLimits are generous for every attribute Postfix 3.x sends
// (about 40, with certificate names the longest values).
var DefaultLimits = Limits{MaxBytes: 64 << 10, MaxAttributes: 200}

// maxDiscard bounds how much of an oversized request is skipped to find
// its end so that the connection can survive; past it the peer is not
// speaking the protocol and the connection is closed.
const maxDiscard = 1 << 20

// ErrMalformed marks a request that broke the protocol but whose end was
// found: it is answered with a temporary failure and the connection lives.
var ErrMalformed = errors.New("malformed policy request")

// ErrFraming marks input after which the request boundary cannot be
// trusted: the connection must be closed.
var ErrFraming = errors.New("policy request framing lost")

// ReadRequest reads one request: name=value lines ended by an empty line
// (SMTPD_POLICY_README, "Protocol description"). io.EOF means the peer
// closed the connection cleanly between requests. An error wrapping
// ErrMalformed means the request was read to its end but is invalid (the
// caller answers it and goes on); any other error ends the connection.
func ReadRequest(br *bufio.Reader, lim Limits) (Request, error) {
	// The request is gathered first and turned into one string, whose
	// substrings are the values: one allocation instead of two a line.
	var stack [1024]byte
	raw := stack[:0]
	lines := 0
	for {
		n := len(raw)
		var err error
		raw, err = appendLine(raw, br, lim.MaxBytes-n)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return nil, discardRest(br, errors.Is(err, errLineEnded), fmt.Errorf("%w: request larger than %d bytes", ErrMalformed, lim.MaxBytes))
			}
			if errors.Is(err, io.EOF) && len(raw) == 0 {
				return nil, io.EOF
			}
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: connection closed inside a request", ErrFraming)
			}
			return nil, err
		}
		if len(raw) == n+1 { // the empty line
			break
		}
		if len(raw) > lim.MaxBytes {
			return nil, discardRest(br, true, fmt.Errorf("%w: request larger than %d bytes", ErrMalformed, lim.MaxBytes))
		}
		lines++
		if lines > lim.MaxAttributes {
			return nil, discardRest(br, true, fmt.Errorf("%w: more than %d attributes", ErrMalformed, lim.MaxAttributes))
		}
	}
	if len(raw) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: request larger than %d bytes", ErrMalformed, lim.MaxBytes)
	}
	if lines == 0 {
		return nil, fmt.Errorf("%w: empty request", ErrMalformed)
	}
	return parseRequest(string(raw[:len(raw)-1]), lines)
}

// parseRequest splits the lines of a request (each ended by "\n") into
// attributes.
func parseRequest(block string, lines int) (Request, error) {
	req := make(Request, lines)
	for line := range strings.Lines(block) {
		name, value, err := parseAttribute(line[:len(line)-1])
		if err != nil {
			return nil, err
		}
		if _, dup := req[name]; dup {
			return nil, fmt.Errorf("%w: attribute %q repeated", ErrMalformed, name)
		}
		req[name] = value
	}
	return req, nil
}

var (
	errLineTooLong = errors.New("line too long")
	// errLineEnded is joined to errLineTooLong when the long line's
	// newline was consumed already.
	errLineEnded = errors.New("line ended")
)

// appendLine appends one line to dst, ended by "\n" without the "\r"
// before it (which Postfix never sends but a person testing with nc
// does), reading at most max bytes of it. On io.EOF dst holds what came.
func appendLine(dst []byte, br *bufio.Reader, max int) ([]byte, error) {
	start := len(dst)
	for {
		chunk, err := br.ReadSlice('\n')
		dst = append(dst, chunk...)
		if len(dst)-start > max {
			if err == nil {
				return dst, errors.Join(errLineTooLong, errLineEnded)
			}
			return dst, errLineTooLong
		}
		if err == nil {
			dst = dst[:len(dst)-1]
			if len(dst) > start && dst[len(dst)-1] == '\r' {
				dst = dst[:len(dst)-1]
			}
			return append(dst, '\n'), nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return dst, err
	}
}

// discardRest skips to the empty line that ends the current request and
// returns cause, or ErrFraming when no end is found within maxDiscard.
// atLineStart says whether the last byte consumed was a newline.
func discardRest(br *bufio.Reader, atLineStart bool, cause error) error {
	skipped := 0
	for skipped < maxDiscard {
		b, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: %v (while skipping: %v)", ErrFraming, cause, err)
		}
		skipped++
		if b == '\n' {
			if atLineStart {
				return cause
			}
			atLineStart = true
			continue
		}
		if b != '\r' {
			atLineStart = false
		}
	}
	return fmt.Errorf("%w: %v (no end within %d bytes)", ErrFraming, cause, maxDiscard)
}

// parseAttribute splits "name=value". Names are what Postfix sends:
// lower-case letters, digits and underscores. Values may hold anything
// but NUL (Postfix never sends one; it would truncate C strings).
func parseAttribute(line string) (string, string, error) {
	name, value, ok := strings.Cut(line, "=")
	if !ok || name == "" {
		return "", "", fmt.Errorf("%w: line without name=value", ErrMalformed)
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "", "", fmt.Errorf("%w: bad attribute name %q", ErrMalformed, name)
		}
	}
	if strings.IndexByte(value, 0) >= 0 {
		return "", "", fmt.Errorf("%w: NUL in attribute %s", ErrMalformed, name)
	}
	return name, value, nil
}

// WriteReply writes "action=..." and the empty line that ends a reply.
func WriteReply(w *bufio.Writer, action string) error {
	// An action never contains a newline: it would end the reply early
	// and desynchronise Postfix. Texts are built here, but be certain.
	action = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return ' '
		}
		return r
	}, action)
	w.WriteString("action=")
	w.WriteString(action)
	w.WriteString("\n\n")
	return w.Flush()
}
