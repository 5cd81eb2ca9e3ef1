package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan"
)

// fakeSender records what would reach Postfix, or refuses with err.
type fakeSender struct {
	err  error
	sent []sentMsg
	// during is called while the message is "at Postfix" (state checks).
	during func()
}

type sentMsg struct {
	from string
	to   []string
	body string
}

func (f *fakeSender) Send(_ context.Context, from string, to []string, msg io.Reader) error {
	b, err := io.ReadAll(msg)
	if err != nil {
		return err
	}
	if f.during != nil {
		f.during()
	}
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, sentMsg{from, to, string(b)})
	return nil
}

var _ reinject.Sender = (*fakeSender)(nil)

func states(t *testing.T, s *Store, id string) string {
	t.Helper()
	items, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Recipient+"="+it.State)
	}
	return strings.Join(out, " ")
}

func TestReleaseSendsOriginalEnvelopeOnce(t *testing.T) {
	s, _ := newStore(t)
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	body := "Subject: hi\r\n\r\nhello\r\n"
	id := put(t, s, "Sender@Example.org", "hi", body,
		Recipient{Address: "a@x.test", Category: scan.Spam, Score: 7},
		Recipient{Address: "b@x.test", Category: scan.Spam, Score: 7})
	snd := &fakeSender{}
	snd.during = func() {
		if got := states(t, s, id); got != "a@x.test=releasing b@x.test=releasing" {
			t.Errorf("while at Postfix: %s, want releasing", got)
		}
	}
	rel, err := s.Release(context.Background(), snd, id, ReleaseOptions{By: "root"})
	if err != nil {
		t.Fatal(err)
	}
	want := "X-Mailtower-Released: by root at 2026-11-22T06:00:00Z from quarantine " + id + "\r\n" + body
	if len(snd.sent) != 1 || snd.sent[0].from != "sender@example.org" ||
		strings.Join(snd.sent[0].to, ",") != "a@x.test,b@x.test" || snd.sent[0].body != want {
		t.Fatalf("sent %+v\nwant body %q", snd.sent, want)
	}
	if got := states(t, s, id); got != "a@x.test=released b@x.test=released" {
		t.Fatalf("after: %s", got)
	}
	if strings.Join(rel.Recipients, ",") != "a@x.test,b@x.test" {
		t.Fatalf("released %v", rel.Recipients)
	}
	snd.during = nil
	again, err := s.Release(context.Background(), snd, id, ReleaseOptions{By: "root"})
	if err != nil || len(snd.sent) != 1 || len(again.Skipped) != 2 || !strings.Contains(again.Skipped[0].Reason, "already released by root") {
		t.Fatalf("second release: sent %d copies, %+v, %v", len(snd.sent), again, err)
	}
}

func TestReleaseChoosesAndRefuses(t *testing.T) {
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		rcpts   []Recipient
		opt     ReleaseOptions
		prepare func(s *Store, id string)
		sendErr error
		wantErr error
		wantTo  string
		after   string
	}{
		{name: "one recipient", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}, {Address: "b@x.test", Category: scan.Spam}},
			opt: ReleaseOptions{Recipients: []string{"B@x.test"}}, wantTo: "b@x.test", after: "a@x.test=quarantined b@x.test=released"},
		{name: "unknown recipient", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			opt: ReleaseOptions{Recipients: []string{"z@x.test"}}, wantErr: ErrRecipient, after: "a@x.test=quarantined"},
		{name: "virus needs force", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Virus}},
			wantErr: ErrVirus, after: "a@x.test=quarantined"},
		{name: "virus with force", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Virus}},
			opt: ReleaseOptions{Force: true}, wantTo: "a@x.test", after: "a@x.test=released"},
		{name: "postfix refuses", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			sendErr: &reinject.Error{Code: 550, Msg: "5.1.1 no such user"}, wantErr: &reinject.Error{}, after: "a@x.test=quarantined"},
		{name: "deleted", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			prepare: func(s *Store, id string) { s.Delete(context.Background(), id, nil, "admin") },
			wantErr: ErrDeleted, after: "a@x.test=deleted"},
		{name: "file missing", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			prepare: func(s *Store, id string) {
				items, _ := s.Get(context.Background(), id)
				os.Remove(s.Path(items[0].Path))
				s.db.Exec(`DELETE FROM quarantine_bodies WHERE message_id = ?`, id) // PostgreSQL
			},
			wantErr: ErrFileMissing, after: "a@x.test=quarantined"},
		{name: "release in progress", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			prepare: func(s *Store, id string) {
				s.db.Exec(`UPDATE quarantine_items SET state = 'releasing', state_changed = ? WHERE message_id = ?`, now.Add(-time.Minute).Unix(), id)
			},
			wantErr: ErrBusy, after: "a@x.test=releasing"},
		{name: "crashed release resumes", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			prepare: func(s *Store, id string) {
				s.db.Exec(`UPDATE quarantine_items SET state = 'releasing', state_changed = ? WHERE message_id = ?`, now.Add(-time.Hour).Unix(), id)
			},
			wantTo: "a@x.test", after: "a@x.test=released"},
		{name: "expired needs force", rcpts: []Recipient{{Address: "a@x.test", Category: scan.Spam}},
			prepare: func(s *Store, id string) { s.SetClock(func() time.Time { return now.Add(31 * 24 * time.Hour) }) },
			wantErr: ErrExpired, after: "a@x.test=quarantined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			s.SetClock(func() time.Time { return now })
			id := put(t, s, "s@example.org", "x", "Subject: x\n\nbody\n", tc.rcpts...)
			if tc.prepare != nil {
				tc.prepare(s, id)
			}
			snd := &fakeSender{err: tc.sendErr}
			_, err := s.Release(context.Background(), snd, id, tc.opt)
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err %v", err)
				}
			case *reinject.Error:
				var re *reinject.Error
				if !errors.As(err, &re) || re.Code != 550 || !strings.Contains(err.Error(), "still quarantined") {
					t.Fatalf("err %v, want Postfix's 550 and 'still quarantined'", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err %v, want %v", err, want)
				}
			}
			var to []string
			for _, m := range snd.sent {
				to = append(to, m.to...)
				if !strings.HasPrefix(m.body, "X-Mailtower-Released: by") || !strings.Contains(m.body, id+"\n") {
					t.Errorf("header missing or wrong line ending: %q", m.body)
				}
			}
			if strings.Join(to, ",") != tc.wantTo {
				t.Fatalf("sent to %v, want %q", to, tc.wantTo)
			}
			if got := states(t, s, id); got != tc.after {
				t.Fatalf("states %s, want %s", got, tc.after)
			}
		})
	}
}

func TestReleaseUnknownAndPurged(t *testing.T) {
	s, _ := newStore(t)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	id := put(t, s, "s@example.org", "x", "Subject: x\r\n\r\n", Recipient{Address: "a@x.test", Category: scan.Virus})
	if _, err := s.Release(context.Background(), &fakeSender{}, "0000000000000000", ReleaseOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	s.SetClock(func() time.Time { return now.Add(15 * 24 * time.Hour) })
	if _, err := s.Purge(context.Background(), PurgeOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Release(context.Background(), &fakeSender{}, id, ReleaseOptions{Force: true})
	if !errors.Is(err, ErrPurged) || !strings.Contains(err.Error(), "expired 2026-11-15") {
		t.Fatalf("purged id: %v", err)
	}
	if _, err := s.Release(context.Background(), &fakeSender{}, id, ReleaseOptions{By: "x\r\nBcc: evil"}); err == nil {
		t.Fatal("a --by with a line break must be refused")
	}
}

// A stored message is as the sender wrote it: X-Mailtower-* fields in it
// are forged and must not reach the recipient; only the release's own
// header is added.
func TestReleaseRemovesForgedOwnHeaders(t *testing.T) {
	s, _ := newStore(t)
	body := "X-Mailtower-Verdict: clean\r\nSubject: hi\r\nX-Mailtower-Released: by boss at 2020-01-01T00:00:00Z\r\n\tfrom quarantine 0\r\n\r\nhello\r\n"
	id := put(t, s, "s@example.org", "hi", body, Recipient{Address: "a@x.test", Category: scan.Spam, Score: 7})
	snd := &fakeSender{}
	rel, err := s.Release(context.Background(), snd, id, ReleaseOptions{By: "root"})
	if err != nil {
		t.Fatal(err)
	}
	want := rel.Header + "\r\nSubject: hi\r\n\r\nhello\r\n"
	if len(snd.sent) != 1 || snd.sent[0].body != want {
		t.Fatalf("sent %q, want %q", snd.sent, want)
	}
}

// envSender records the envelope with its DSN parameters.
type envSender struct {
	fakeSender
	env []reinject.Envelope
}

func (f *envSender) SendEnvelope(ctx context.Context, env reinject.Envelope, msg io.Reader) error {
	f.env = append(f.env, env)
	return f.Send(ctx, env.From, env.Addresses(), msg)
}

// A release keeps the sender's DSN parameters (issue 11, item 7).
func TestReleaseKeepsDSNParameters(t *testing.T) {
	s, _ := newStore(t)
	id, err := s.Put(context.Background(), Entry{
		Envelope: scan.Envelope{QueueID: "Q1", Sender: "s@example.org"}, Raw: strings.NewReader("Subject: x\r\n\r\nb\r\n"),
		Recipients: []Recipient{{Address: "a@x.test", Category: scan.Spam, Notify: "NEVER", ORcpt: "rfc822;A@x.test"},
			{Address: "b@x.test", Category: scan.Spam}},
		RET: "HDRS", EnvID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	snd := &envSender{}
	if _, err := s.Release(context.Background(), snd, id, ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	want := reinject.Envelope{From: "s@example.org", RET: "HDRS", EnvID: "e1", To: []reinject.Rcpt{
		{Addr: "a@x.test", Notify: "NEVER", ORcpt: "rfc822;A@x.test"}, {Addr: "b@x.test"}}}
	if len(snd.env) != 1 || fmt.Sprint(snd.env[0]) != fmt.Sprint(want) {
		t.Fatalf("sent %+v, want %+v", snd.env, want)
	}
}
