package clamd

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailtower/mailtower/scan/internal/sock"
)

// maxNameLen bounds a virus name; real ones are under 100 bytes.
const maxNameLen = 512

// Error is an ERROR reply of clamd itself, such as
// "INSTREAM size limit exceeded. ERROR" or "stream: Can't allocate memory ERROR".
type Error struct {
	// Reply is clamd's text without the trailing " ERROR".
	Reply string
}

// Error quotes clamd's reply, with advice for a size refusal.
func (e *Error) Error() string {
	if strings.HasPrefix(e.Reply, "INSTREAM size limit exceeded") {
		return "clamd refused the message: " + e.Reply +
			" (raise StreamMaxLength in clamd.conf, or set max_size for this scanner)"
	}
	return "clamd error: " + e.Reply
}

// parseReply reads clamd's answer to zINSTREAM: NUL-terminated lines, one
// "stream: OK", or one "stream: NAME FOUND" per matching signature (several
// only with AllMatchScan). It returns the virus names, none for OK. An
// ERROR line is an *Error; anything else — empty, truncated, unknown — is
// a protocol error: never a clean result.
func parseReply(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("empty reply: clamd closed the connection without answering")
	}
	if b[len(b)-1] != 0 {
		return nil, fmt.Errorf("truncated reply %q", sock.Clip(string(b)))
	}
	lines := bytes.Split(b[:len(b)-1], []byte{0})
	var names []string
	ok := false
	for _, raw := range lines {
		line := strings.TrimRight(string(raw), "\r\n")
		if msg, isErr := strings.CutSuffix(line, "ERROR"); isErr {
			return nil, &Error{Reply: sock.Clip(strings.TrimSpace(msg))}
		}
		if line == "stream: OK" {
			ok = true
			continue
		}
		rest, hasPrefix := strings.CutPrefix(line, "stream: ")
		name, found := strings.CutSuffix(rest, " FOUND")
		if !hasPrefix || !found {
			return nil, fmt.Errorf("unexpected reply %q", sock.Clip(line))
		}
		name, err := virusName(name)
		if err != nil {
			return nil, fmt.Errorf("reply %q: %w", sock.Clip(line), err)
		}
		names = append(names, name)
	}
	if ok && (len(lines) > 1 || len(names) > 0) {
		return nil, fmt.Errorf("unexpected reply %q: OK among other answers", sock.Clip(string(b)))
	}
	return names, nil
}

// virusName checks a signature name from a FOUND line, dropping the
// "(md5:size)" that ExtendedDetectionInfo appends. The name ends up in
// headers and logs, so control characters are refused.
func virusName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") && isDetectionInfo(s[i+1:len(s)-1]) {
		s = s[:i]
	}
	switch {
	case s == "":
		return "", fmt.Errorf("empty virus name")
	case len(s) > maxNameLen:
		return "", fmt.Errorf("virus name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(s):
		return "", fmt.Errorf("virus name is not UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", fmt.Errorf("control character in virus name")
	}
	return s, nil
}

// isDetectionInfo matches "HASH:SIZE" as in "Eicar-Test(44d8...f:68)".
func isDetectionInfo(s string) bool {
	hash, size, ok := strings.Cut(s, ":")
	if !ok || hash == "" || size == "" {
		return false
	}
	for _, r := range hash {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	for _, r := range size {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
