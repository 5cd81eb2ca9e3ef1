// Package saslauth is mailtower's authentication server for Postfix's
// submission ports: it speaks the server side of Dovecot's authentication
// protocol (the client side is Postfix's smtpd_sasl_type = dovecot),
// offers the PLAIN and LOGIN mechanisms, and checks the login against a
// Verifier (mailtower's users with their argon2id password hashes).
//
// Failures are answered with a generic reason, since Postfix shows it to
// the SMTP client; a failure to check (the database is down) closes the
// connection, which Postfix answers with 454 4.7.0 (temporary), never a
// permanent 535. Failed logins slow down later attempts from the same
// client network and for the same user, and past a limit are refused
// without a password check.
package saslauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The protocol version this server speaks (Dovecot's auth protocol 1.x;
// a client checks the major version only).
const (
	versionMajor = 1
	versionMinor = 2
)

// maxLine bounds one protocol line (Dovecot's documented expectation).
const maxLine = 16384

// Line is one protocol line: a command name and its TAB-separated
// parameters, unescaped.
type Line struct {
	Cmd  string
	Args []string
}

// ParseLine splits a line (without its LF) into the command and its
// parameters, undoing Dovecot's \001 escaping.
func ParseLine(s string) (Line, error) {
	if s == "" {
		return Line{}, errors.New("empty line")
	}
	if len(s) > maxLine {
		return Line{}, fmt.Errorf("line longer than %d bytes", maxLine)
	}
	parts := strings.Split(strings.TrimSuffix(s, "\r"), "\t")
	for i, p := range parts {
		parts[i] = unescape(p)
	}
	if parts[0] == "" {
		return Line{}, errors.New("empty command")
	}
	return Line{Cmd: parts[0], Args: parts[1:]}, nil
}

// unescape undoes Dovecot's tab-escaping: \001 followed by 0, 1, t, r or
// l stands for NUL, \001, TAB, CR or LF; before anything else it is
// dropped.
func unescape(s string) string {
	if !strings.Contains(s, "\x01") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\x01' || i+1 == len(s) {
			if s[i] != '\x01' {
				b.WriteByte(s[i])
			}
			continue
		}
		i++
		switch s[i] {
		case '0':
			b.WriteByte(0)
		case '1':
			b.WriteByte('\x01')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'l':
			b.WriteByte('\n')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Auth is an AUTH request: "AUTH TAB id TAB mechanism [TAB name=value |
// TAB flag]...".
type Auth struct {
	ID   uint32
	Mech string
	// Params are the name=value parameters (service, lip, rip, resp, ...);
	// Flags the parameters without a value (secured, nologin, ...).
	Params map[string]string
	Flags  map[string]bool
}

// Resp returns the decoded initial response and whether there was one
// ("resp=" with empty data is an empty response).
func (a Auth) Resp() ([]byte, bool, error) {
	r, ok := a.Params["resp"]
	if !ok {
		return nil, false, nil
	}
	b, err := base64.StdEncoding.DecodeString(r)
	if err != nil {
		return nil, true, fmt.Errorf("resp: %w", err)
	}
	return b, true, nil
}

// ParseAuth reads the parameters of an AUTH line.
func ParseAuth(args []string) (Auth, error) {
	if len(args) < 2 {
		return Auth{}, errors.New("AUTH: want id and mechanism")
	}
	id, err := ParseID(args[0])
	if err != nil {
		return Auth{}, err
	}
	a := Auth{ID: id, Mech: strings.ToUpper(args[1]), Params: map[string]string{}, Flags: map[string]bool{}}
	if a.Mech == "" {
		return Auth{}, errors.New("AUTH: empty mechanism")
	}
	for _, p := range args[2:] {
		if name, value, ok := strings.Cut(p, "="); ok {
			a.Params[name] = value
		} else if p != "" {
			a.Flags[p] = true
		}
	}
	return a, nil
}

// ParseID reads a request id: a decimal number other than 0.
func ParseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad request id %q", s)
	}
	return uint32(n), nil
}

// clean keeps a value safe to put into a reply parameter: no TAB, CR, LF
// or NUL (Postfix splits on TAB and prints the rest).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\r' || r == '\n' || r == 0 || r == '\x01' {
			return -1
		}
		return r
	}, s)
}
