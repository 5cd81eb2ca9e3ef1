package milter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/settings"
)

// failingMirror refuses every copy.
type failingMirror struct{ calls int }

func (m *failingMirror) Put(context.Context, mirror.Entry) (string, error) {
	m.calls++
	return "", errors.New("disk full")
}

// withMirror gives mir.test (spam action tag) and mirq.test (spam action
// quarantine) a mirror to key's public key.
func withMirror(t *testing.T, f *fixture, w MirrorWriter) (*age.X25519Identity, *[]error) {
	t.Helper()
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	tag, quar := settings.ActionTag, settings.ActionQuarantine
	for name, a := range map[string]*settings.Action{"mir.test": &tag, "mirq.test": &quar} {
		if err := f.settings.AddDomain(context.Background(), settings.Domain{Name: name, Relay: "127.0.0.1:2525",
			Overrides: settings.Overrides{SpamAction: a},
			Mirror:    &settings.Mirror{Days: 7, Recipient: key.Recipient().String()}}); err != nil {
			t.Fatal(err)
		}
	}
	var results []error
	rt := *f.filter.rt.Load()
	rt.Mirror, rt.Mirrored = w, func(err error) { results = append(results, err) }
	f.filter.Reload(&rt)
	return key, &results
}

func TestMirrorKeepsTheDeliveredCopy(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	ms, err := mirror.Open(context.Background(), f.db, dir)
	if err != nil {
		t.Fatal(err)
	}
	key, results := withMirror(t, f, ms)
	trx := newTrx("From: a@example.org\r\nSubject: offer\r\nMessage-ID: <m1@example.org>\r\n", "SPAMMY body\r\n",
		"a@mir.test", "b@mir.test", "c@mirq.test", "d@pass.test")
	d, err := f.filter.Decide(context.Background(), trx)
	if err != nil || d != mailfilter.Accept {
		t.Fatalf("decision %v %v", d, err)
	}
	items, err := ms.List(context.Background(), mirror.Filter{Domain: "mir.test", MessageID: "<m1@example.org>"})
	if err != nil || len(items) != 1 || strings.Join(items[0].Recipients, ",") != "a@mir.test,b@mir.test" ||
		items[0].Sender != "sender@example.org" {
		t.Fatalf("mirror of mir.test: %+v %v", items, err)
	}
	// The quarantined recipient's domain has no copy: it got nothing.
	if q, _ := ms.List(context.Background(), mirror.Filter{Domain: "mirq.test"}); len(q) != 0 {
		t.Errorf("a quarantined recipient's copy was mirrored: %+v", q)
	}
	if len(*results) != 1 || (*results)[0] != nil {
		t.Errorf("Mirrored got %v, want one success", *results)
	}
	// The copy is the tagged one the recipients got, with the trace field.
	var file string
	filepath.Walk(filepath.Join(dir, "mirror", "mir.test"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".age") {
			file = p
		}
		return nil
	})
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(raw), key)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	for _, want := range []string{"Received: from client.example", "Subject: *** SPAM *** offer\r\n",
		"X-Mailtower-Verdict: spam\r\n", "\r\n\r\nSPAMMY body\r\n"} {
		if !strings.Contains(string(plain), want) {
			t.Errorf("mirror copy lacks %q:\n%s", want, plain)
		}
	}
	if !strings.HasPrefix(string(plain), "Received: ") || !strings.HasSuffix(string(plain), "SPAMMY body\r\n") {
		t.Errorf("mirror copy:\n%s", plain)
	}
}

// A mirror that cannot be written never holds the mail up.
func TestMirrorFailureLetsMailFlow(t *testing.T) {
	f := newFixture(t)
	fm := &failingMirror{}
	_, results := withMirror(t, f, fm)
	trx := newTrx("From: a@example.org\r\nSubject: hi\r\n", "hello\r\n", "a@mir.test")
	d, err := f.filter.Decide(context.Background(), trx)
	if err != nil || d != mailfilter.Accept {
		t.Fatalf("decision %v %v, want accept despite the mirror failure", d, err)
	}
	if fm.calls != 1 || len(*results) != 1 || (*results)[0] == nil {
		t.Fatalf("mirror calls %d, results %v", fm.calls, *results)
	}
	// A domain without a mirror is never asked.
	trx = newTrx("From: a@example.org\r\nSubject: hi\r\n", "hello\r\n", "a@pass.test")
	if d, _ := f.filter.Decide(context.Background(), trx); d != mailfilter.Accept || fm.calls != 1 {
		t.Fatalf("decision %v, mirror calls %d", d, fm.calls)
	}
}
