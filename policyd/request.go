package policyd

import (
	"bufio"
	"bytes"
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
	req := Request{}
	total, lines := 0, 0
	var bad error
	for {
		line, err := readLine(br, lim.MaxBytes-total+1)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return nil, discardRest(br, errors.Is(err, errLineEnded), fmt.Errorf("%w: request larger than %d bytes", ErrMalformed, lim.MaxBytes))
			}
			if errors.Is(err, io.EOF) && total == 0 && len(line) == 0 {
				return nil, io.EOF
			}
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: connection closed inside a request", ErrFraming)
			}
			return nil, err
		}
		total += len(line) + 1
		if total > lim.MaxBytes {
			if len(line) == 0 {
				return nil, fmt.Errorf("%w: request larger than %d bytes", ErrMalformed, lim.MaxBytes)
			}
			return nil, discardRest(br, true, fmt.Errorf("%w: request larger than %d bytes", ErrMalformed, lim.MaxBytes))
		}
		if len(line) == 0 {
			if lines == 0 {
				bad = errors.Join(bad, fmt.Errorf("%w: empty request", ErrMalformed))
			}
			if bad != nil {
				return nil, bad
			}
			return req, nil
		}
		lines++
		if lines > lim.MaxAttributes {
			return nil, discardRest(br, true, fmt.Errorf("%w: more than %d attributes", ErrMalformed, lim.MaxAttributes))
		}
		if bad != nil {
			continue // keep reading to the end of the request, then answer it
		}
		name, value, err := parseAttribute(line)
		if err != nil {
			bad = err
			continue
		}
		if _, dup := req[name]; dup {
			bad = fmt.Errorf("%w: attribute %q repeated", ErrMalformed, name)
			continue
		}
		req[name] = value
	}
}

var (
	errLineTooLong = errors.New("line too long")
	// errLineEnded is joined to errLineTooLong when the long line's
	// newline was consumed already.
	errLineEnded = errors.New("line ended")
)

// readLine returns one line without its "\n" (and a "\r" before it,
// which Postfix never sends but a person testing with nc does), reading at
// most max bytes of it.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			if err == nil {
				return nil, errors.Join(errLineTooLong, errLineEnded)
			}
			return nil, errLineTooLong
		}
		if err == nil {
			line = line[:len(line)-1]
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
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
func parseAttribute(line []byte) (string, string, error) {
	eq := bytes.IndexByte(line, '=')
	if eq <= 0 {
		return "", "", fmt.Errorf("%w: line without name=value", ErrMalformed)
	}
	name := line[:eq]
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "", "", fmt.Errorf("%w: bad attribute name %q", ErrMalformed, name)
		}
	}
	value := line[eq+1:]
	if bytes.IndexByte(value, 0) >= 0 {
		return "", "", fmt.Errorf("%w: NUL in attribute %s", ErrMalformed, name)
	}
	return string(name), string(value), nil
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
