package web

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtower/mailtower/web/account"
)

// captureSender records what a Digester sends.
type captureSender struct {
	mu   sync.Mutex
	msgs map[string]string
	fail error
}

func (c *captureSender) Send(_ context.Context, from string, to []string, msg io.Reader) error {
	if c.fail != nil {
		return c.fail
	}
	b, _ := io.ReadAll(msg)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs[to[0]] = string(b)
	return nil
}

func TestDigest(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	for _, l := range []string{"bob@a.test", "carol@b.test", "root"} {
		if err := p.acc.SetDigest(ctx, l, account.DigestDaily); err != nil {
			t.Fatal(err)
		}
	}
	snd := &captureSender{msgs: map[string]string{}}
	now := time.Now().Add(time.Minute)
	mk := func(holder string) *Digester {
		return &Digester{Accounts: p.acc, Quarantine: p.q, Sender: snd, BaseURL: p.srv.URL + "/", Hostname: "gw.test",
			Holder: holder, Now: func() time.Time { return now }}
	}
	// The users were created just now: their first digest covers from then.
	d := mk("gw1")
	snd.fail = errors.New("postfix down")
	if n, err := d.Run(ctx); err == nil || n != 0 {
		t.Fatalf("failing sender: %d %v", n, err)
	}
	snd.fail = nil
	if ok, _ := p.acc.Lease(ctx, "digest", "gw2", time.Minute); !ok {
		t.Fatal("the lease was not released after gw1's run")
	}
	if n, err := d.Run(ctx); n != 0 || err != nil {
		t.Fatalf("gw1 ran under gw2's lease: %d %v", n, err)
	}
	p.acc.ReleaseLease(ctx, "digest", "gw2")
	n, err := d.Run(ctx)
	if err != nil || n != 2 {
		t.Fatalf("digests sent %d, %v; want bob and carol", n, err)
	}
	bob := snd.msgs["bob@a.test"]
	if !strings.Contains(bob, "Cheap pills") || strings.Contains(bob, "Lottery") || !strings.Contains(bob, "Auto-Submitted: auto-generated") {
		t.Fatalf("bob's digest:\n%s", bob)
	}
	link := regexp.MustCompile(`(https://\S+/d/(\S+)/(\S+))\r\n`).FindStringSubmatch(bob)
	if link == nil {
		t.Fatalf("no item link in:\n%s", bob)
	}
	// The link shows and does not act.
	b := p.browser()
	if code, page, _ := b.do("GET", strings.TrimPrefix(link[1], p.srv.URL), nil); code != 200 || !strings.Contains(page, "bob@a.test") {
		t.Fatalf("digest link: %d", code)
	}
	if len(p.released) != 0 {
		t.Fatal("opening a digest link released")
	}
	// Nothing new: no second digest the same day, nor the next day.
	if n, _ := d.Run(ctx); n != 0 {
		t.Fatalf("second run sent %d", n)
	}
	now = now.Add(24 * time.Hour)
	delete(snd.msgs, "bob@a.test")
	if n, _ := d.Run(ctx); n != 0 {
		t.Fatalf("a day later with nothing new: %d sent", n)
	}
	// A password change revokes the links.
	p.acc.SetPassword(ctx, "bob@a.test", "another long password")
	if code, _, _ := b.do("GET", strings.TrimPrefix(link[1], p.srv.URL), nil); code != 404 {
		t.Fatalf("digest link after a password change: %d", code)
	}
}
