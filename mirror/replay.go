package mirror

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/mailtower/mailtower/reinject"
)

// ReplayedField is the header field a replayed copy gets on top; the rest
// of the message is byte for byte the stored copy.
const ReplayedField = reinject.HeaderPrefix + "Replayed"

// ReplayOptions say what Replay sends and how.
type ReplayOptions struct {
	// Filter selects the entries; with Recipient set, each entry goes to
	// that recipient only.
	Filter Filter
	// Identities decrypt the copies: the customer's (or the escrow's)
	// secret keys, given for this replay and never stored.
	Identities []age.Identity
	// Sender hands a copy to Postfix's re-injection listener.
	Sender reinject.Sender
	// By names who replays, in the header and the replay record.
	By string
	// DryRun decrypts every copy to check the identity and sends nothing.
	DryRun bool
}

// ReplayResult is what happened to one entry.
type ReplayResult struct {
	Item Item
	// Recipients are those it was (or, dry run, would be) sent to.
	Recipients []string
	// Previous is the number of earlier replays of the entry.
	Previous int
	// Size is the decrypted message's size (dry run and sent).
	Size int64
	// Err is why the entry was not sent (or, dry run, not decrypted).
	Err error
}

// ErrIdentity is a copy that the given identities cannot decrypt.
var ErrIdentity = errors.New("the identity does not decrypt this copy (another key, or not the customer's)")

// Replay decrypts the entries o.Filter selects and hands each to Postfix
// with its original envelope and ReplayedField on top, oldest first. A
// copy that fails is reported in its result and the others still go; the
// error is for failures of the whole run (the index).
func (s *Store) Replay(ctx context.Context, o ReplayOptions) ([]ReplayResult, error) {
	if len(o.Identities) == 0 {
		return nil, fmt.Errorf("mirror replay: no identity")
	}
	if o.Sender == nil && !o.DryRun {
		return nil, fmt.Errorf("mirror replay: no re-injection client")
	}
	items, err := s.List(ctx, o.Filter)
	if err != nil {
		return nil, err
	}
	out := make([]ReplayResult, 0, len(items))
	for _, it := range items {
		r := ReplayResult{Item: it, Recipients: it.Recipients, Previous: len(it.Replays)}
		if o.Filter.Recipient != "" {
			r.Recipients = nil
			for _, a := range it.Recipients {
				if canonical(a) == canonical(o.Filter.Recipient) {
					r.Recipients = append(r.Recipients, a)
				}
			}
		}
		r.Size, r.Err = s.replayOne(ctx, it, r.Recipients, o)
		out = append(out, r)
	}
	return out, nil
}

// replayOne sends (or, dry run, decrypts) one entry and records the replay.
func (s *Store) replayOne(ctx context.Context, it Item, rcpts []string, o ReplayOptions) (int64, error) {
	f, err := os.Open(filepath.Join(s.dir, it.path))
	if err != nil {
		return 0, fmt.Errorf("stored copy: %w", err)
	}
	defer f.Close()
	plain, err := age.Decrypt(bufio.NewReaderSize(f, 64<<10), o.Identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return 0, ErrIdentity
		}
		return 0, fmt.Errorf("decrypt: %w", err)
	}
	now := s.now()
	msg, err := withReplayedField(plain, fmt.Sprintf("by %s at %s from mirror %s (received %s)",
		headerToken(o.By), now.Format(time.RFC1123Z), it.ID, it.Received.Format(time.RFC1123Z)))
	if err != nil {
		return 0, fmt.Errorf("decrypt: %w", err)
	}
	counted := &countingReader{r: msg}
	if o.DryRun {
		// age authenticates every chunk: reading to the end proves the
		// whole copy decrypts.
		if _, err := io.Copy(io.Discard, counted); err != nil {
			return 0, fmt.Errorf("decrypt: %w", err)
		}
		return counted.n, nil
	}
	env := reinject.Envelope{From: it.Sender}
	for _, a := range rcpts {
		env.To = append(env.To, reinject.Rcpt{Addr: a})
	}
	if err := reinject.Deliver(ctx, o.Sender, env, counted); err != nil {
		return counted.n, err
	}
	// Postfix has it (250): record the replay.
	js, _ := json.Marshal(rcpts)
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), `INSERT INTO mirror_replays (entry_id, at, by, recipients)
		VALUES (?, ?, ?, ?)`, it.ID, now.Unix(), o.By, string(js)); err != nil {
		return counted.n, fmt.Errorf("sent, but the replay was not recorded: %w", err)
	}
	return counted.n, nil
}

// withReplayedField puts "X-Mailtower-Replayed: value" before the first
// line of msg, ending like that line (CRLF, or LF in a copy stored so).
func withReplayedField(msg io.Reader, value string) (io.Reader, error) {
	br := bufio.NewReaderSize(msg, 4096)
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	eol := "\r\n"
	if i := bytes.IndexByte(head, '\n'); i >= 0 && (i == 0 || head[i-1] != '\r') {
		eol = "\n"
	}
	return io.MultiReader(strings.NewReader(ReplayedField+": "+value+eol), br), nil
}

// headerToken keeps a name on one header line.
func headerToken(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "unknown"
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// countingReader counts the bytes read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
