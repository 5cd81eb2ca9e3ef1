package quarantine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strings"
	"time"
)

// DedupeWindow is how long a stored message suppresses an identical one.
//
// Why deduplicate at all: when mailtower answers 451 after it stored a
// quarantined copy (a later step failed or the decision deadline passed),
// or Postfix gives up waiting, the sending server retries. The retry is a
// new SMTP transaction, so Postfix gives it a new queue id and a new
// Received header; the queue id therefore cannot recognise it. What stays
// the same is the envelope (sender and recipients) and the message as the
// client sent it. The key is a digest of those, with every Received
// header left out (Postfix's own trace header is the one line that
// differs between the tries, and a copy mailtower stores may carry a
// trace header of its own). Senders retry for up to about five days
// (RFC 5321 4.5.4.1); a week covers that. An identical message within the
// window is, by construction, the same mail: storing it again would only
// show the user the same item twice.
const DedupeWindow = 7 * 24 * time.Hour

// maxDedupeHeader bounds the header section kept in memory to find the
// Received fields; a longer one is hashed as it is (no deduplication
// across tries is lost in practice: Postfix limits headers to 100 kB).
const maxDedupeHeader = 1 << 20

// contentHash hashes a message as it is written, leaving out the header
// fields named Received (with their continuation lines).
type contentHash struct {
	h      hash.Hash
	head   []byte
	inBody bool
}

func newContentHash() *contentHash { return &contentHash{h: sha256.New()} }

// Write implements io.Writer; it never fails.
func (c *contentHash) Write(p []byte) (int, error) {
	if c.inBody {
		c.h.Write(p)
		return len(p), nil
	}
	c.head = append(c.head, p...)
	if end := headerEnd(c.head); end >= 0 {
		c.hashHeader(c.head[:end])
		c.h.Write(c.head[end:])
		c.head, c.inBody = nil, true
	} else if len(c.head) > maxDedupeHeader {
		c.h.Write(c.head)
		c.head, c.inBody = nil, true
	}
	return len(p), nil
}

// sum returns the hex digest of everything written.
func (c *contentHash) sum() string {
	if !c.inBody {
		c.hashHeader(c.head)
	}
	return hex.EncodeToString(c.h.Sum(nil))
}

// headerEnd returns the offset just past the last header line (the empty
// line that ends the header section starts there), or -1.
func headerEnd(b []byte) int {
	if len(b) > 0 && (b[0] == '\n' || bytes.HasPrefix(b, []byte("\r\n"))) {
		return 0 // no header at all
	}
	i, j := bytes.Index(b, []byte("\n\n")), bytes.Index(b, []byte("\n\r\n"))
	switch {
	case i < 0 && j < 0:
		return -1
	case i < 0 || (j >= 0 && j < i):
		return j + 1
	}
	return i + 1
}

// hashHeader hashes the header lines except Received fields.
func (c *contentHash) hashHeader(head []byte) {
	skip := false
	for len(head) > 0 {
		n := bytes.IndexByte(head, '\n') + 1
		if n == 0 {
			n = len(head)
		}
		line := head[:n]
		head = head[n:]
		if line[0] != ' ' && line[0] != '\t' { // a new field, not a continuation
			name, _, _ := bytes.Cut(line, []byte(":"))
			skip = strings.EqualFold(string(bytes.TrimSpace(name)), "Received")
		}
		if !skip {
			c.h.Write(line)
		}
	}
}

// dedupeKey combines the envelope and the content digest.
func dedupeKey(sender string, rcpts []Recipient, content string) string {
	addrs := make([]string, len(rcpts))
	for i, r := range rcpts {
		addrs[i] = strings.ToLower(r.Address)
	}
	slices.Sort(addrs)
	h := sha256.New()
	h.Write([]byte(strings.ToLower(sender) + "\x00" + strings.Join(addrs, "\x00") + "\x00\x00" + content))
	return hex.EncodeToString(h.Sum(nil))
}
