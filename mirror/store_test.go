package mirror

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/store/storetest"
)

const testMessage = "Received: from mx.sender.example\r\nFrom: <alice@sender.example>\r\nTo: <bob@m.test>\r\n" +
	"Subject: Pineapple shipment 17\r\nMessage-ID: <abc.123@sender.example>\r\n\r\nThe secret body text.\r\n"

type fixture struct {
	s        *Store
	dataDir  string
	customer *age.X25519Identity
	escrow   *age.X25519Identity
	now      time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	s, err := Open(context.Background(), db, dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{s: s, dataDir: dir, now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	s.SetClock(func() time.Time { return f.now })
	if f.customer, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	if f.escrow, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) put(t *testing.T, rcpts ...string) string {
	t.Helper()
	id, err := f.s.Put(context.Background(), Entry{Domain: "m.test", Sender: "alice@sender.example", Recipients: rcpts,
		Raw: strings.NewReader(testMessage), MessageID: " <abc.123@sender.example>", Days: 14,
		Keys: []age.Recipient{f.customer.Recipient(), f.escrow.Recipient()}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// fakeSender records what would go to Postfix.
type fakeSender struct {
	env  []reinject.Envelope
	msgs []string
	err  error
}

func (s *fakeSender) Send(ctx context.Context, from string, to []string, msg io.Reader) error {
	env := reinject.Envelope{From: from}
	for _, r := range to {
		env.To = append(env.To, reinject.Rcpt{Addr: r})
	}
	return s.SendEnvelope(ctx, env, msg)
}

func (s *fakeSender) SendEnvelope(_ context.Context, env reinject.Envelope, msg io.Reader) error {
	b, err := io.ReadAll(msg)
	if err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	s.env = append(s.env, env)
	s.msgs = append(s.msgs, string(b))
	return nil
}

func TestStoredFileHoldsNoPlaintext(t *testing.T) {
	f := newFixture(t)
	id := f.put(t, "bob@m.test")
	items, err := f.s.List(context.Background(), Filter{Domain: "m.test"})
	if err != nil || len(items) != 1 || items[0].ID != id {
		t.Fatalf("list: %+v %v", items, err)
	}
	raw, err := os.ReadFile(filepath.Join(f.s.dir, items[0].path))
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"Pineapple", "secret body", "abc.123", "Subject"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("the stored file contains %q in plaintext", plain)
		}
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Errorf("not an age file: %q", raw[:min(len(raw), 40)])
	}
	// Both the customer and the escrow can read it.
	for name, id := range map[string]age.Identity{"customer": f.customer, "escrow": f.escrow} {
		r, err := age.Decrypt(bytes.NewReader(raw), id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b, _ := io.ReadAll(r); string(b) != testMessage {
			t.Errorf("%s decrypts %q", name, b)
		}
	}
	it := items[0]
	if it.Size != int64(len(testMessage)) || it.StoredSize != int64(len(raw)) || it.Sender != "alice@sender.example" ||
		it.MessageIDHash != MessageIDHash("<abc.123@sender.example>") || !it.Expires.Equal(f.now.Add(14*24*time.Hour)) {
		t.Errorf("index row: %+v", it)
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.put(t, "bob@m.test", "carol@m.test")
	f.now = f.now.Add(time.Hour)
	f.put(t, "dave@m.test")
	snd := &fakeSender{}
	opts := ReplayOptions{Filter: Filter{Domain: "m.test", Recipient: "Bob@M.test"}, Identities: []age.Identity{f.customer},
		Sender: snd, By: "tester"}

	// Dry run: decrypts, sends nothing, records nothing.
	opts.DryRun = true
	res, err := f.s.Replay(ctx, opts)
	if err != nil || len(res) != 1 || res[0].Err != nil || res[0].Size == 0 || len(snd.msgs) != 0 {
		t.Fatalf("dry run: %+v %v, sent %d", res, err, len(snd.msgs))
	}
	opts.DryRun = false
	res, err = f.s.Replay(ctx, opts)
	if err != nil || len(res) != 1 || res[0].Err != nil || res[0].Previous != 0 || res[0].Item.ID != first {
		t.Fatalf("replay: %+v %v", res, err)
	}
	if len(snd.env) != 1 || snd.env[0].From != "alice@sender.example" || len(snd.env[0].To) != 1 || snd.env[0].To[0].Addr != "bob@m.test" {
		t.Fatalf("envelope: %+v", snd.env)
	}
	head, rest, _ := strings.Cut(snd.msgs[0], "\r\n")
	if !strings.HasPrefix(head, "X-Mailtower-Replayed: by tester at ") || !strings.Contains(head, "from mirror "+first) || rest != testMessage {
		t.Fatalf("replayed copy:\n%s", snd.msgs[0])
	}
	// Twice is allowed, and counted.
	res, _ = f.s.Replay(ctx, opts)
	if len(res) != 1 || res[0].Err != nil || res[0].Previous != 1 {
		t.Fatalf("second replay: %+v", res)
	}
	items, _ := f.s.List(ctx, Filter{Domain: "m.test", MessageID: "<abc.123@sender.example>"})
	if len(items) != 2 || len(items[0].Replays) != 2 || items[0].Replays[0].By != "tester" {
		t.Fatalf("replays recorded: %+v", items)
	}

	// A wrong identity decrypts nothing and sends nothing.
	other, _ := age.GenerateX25519Identity()
	opts.Identities, opts.Filter.Recipient = []age.Identity{other}, ""
	res, err = f.s.Replay(ctx, opts)
	if err != nil || len(res) != 2 || !errors.Is(res[0].Err, ErrIdentity) || !errors.Is(res[1].Err, ErrIdentity) || len(snd.msgs) != 2 {
		t.Fatalf("wrong identity: %+v %v", res, err)
	}
	// Postfix refusing: the result says so, nothing is recorded.
	opts.Identities, snd.err = []age.Identity{f.escrow}, &reinject.Error{Code: 451, Msg: "try later"}
	res, _ = f.s.Replay(ctx, opts)
	if len(res) != 2 || res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "451") {
		t.Fatalf("refused: %+v", res)
	}
	items, _ = f.s.List(ctx, Filter{Domain: "m.test", Since: f.now})
	if len(items) != 1 || len(items[0].Replays) != 0 {
		t.Fatalf("a refused replay was recorded: %+v", items)
	}
}

func TestPurgeAndStats(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, "bob@m.test")
	f.now = f.now.Add(48 * time.Hour)
	f.put(t, "bob@m.test")
	st, err := f.s.Stats(ctx)
	if err != nil || len(st) != 1 || st[0].Entries != 2 || st[0].Bytes <= 0 || st[0].Size != 2*int64(len(testMessage)) {
		t.Fatalf("stats: %+v %v", st, err)
	}
	f.now = f.now.Add(13 * 24 * time.Hour) // the first is 15 days old, the second 13
	rep, err := f.s.Purge(ctx)
	if err != nil || rep.Entries != 1 || rep.Bytes <= 0 || len(rep.Missing) != 0 {
		t.Fatalf("purge: %+v %v", rep, err)
	}
	items, _ := f.s.List(ctx, Filter{Domain: "m.test"})
	if len(items) != 1 {
		t.Fatalf("%d entries left, want 1", len(items))
	}
	if _, err := os.Stat(filepath.Join(f.s.dir, "m.test", "2026", "03", "01")); !os.IsNotExist(err) {
		t.Errorf("the purged day's directory is still there: %v", err)
	}
	b, _ := f.s.Bytes(ctx)
	if b["m.test"] != items[0].StoredSize {
		t.Errorf("bytes %v, want %d", b, items[0].StoredSize)
	}
}

func TestPutRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	keys := []age.Recipient{f.customer.Recipient()}
	for name, e := range map[string]Entry{
		"path in domain": {Domain: "../x.test", Recipients: []string{"a@x.test"}, Keys: keys, Days: 1},
		"no keys":        {Domain: "m.test", Recipients: []string{"a@m.test"}, Days: 1},
		"no recipients":  {Domain: "m.test", Keys: keys, Days: 1},
	} {
		e.Raw = strings.NewReader(testMessage)
		if _, err := f.s.Put(context.Background(), e); err == nil {
			t.Errorf("%s: stored", name)
		}
	}
	// A context that ends while writing leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.s.Put(ctx, Entry{Domain: "m.test", Recipients: []string{"a@m.test"}, Keys: keys, Days: 1, Raw: strings.NewReader(testMessage)})
	if err == nil {
		t.Fatal("stored with a cancelled context")
	}
	filepath.Walk(f.s.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

func TestWithReplayedField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"A: b\r\n\r\nbody", "X-Mailtower-Replayed: v\r\nA: b\r\n\r\nbody"},
		{"A: b\n\nbody", "X-Mailtower-Replayed: v\nA: b\n\nbody"},
		{"", "X-Mailtower-Replayed: v\r\n"},
		{strings.Repeat("x", 5000), "X-Mailtower-Replayed: v\r\n" + strings.Repeat("x", 5000)},
	} {
		r, err := withReplayedField(strings.NewReader(tc.in), "v")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(r); string(b) != tc.want {
			t.Errorf("%q: got %q", tc.in[:min(len(tc.in), 20)], b)
		}
	}
}
