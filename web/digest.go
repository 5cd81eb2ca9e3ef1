package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/web/account"
)

// Digester sends each user whose schedule says so a mail listing the
// messages quarantined for it since its last digest, with links to the
// portal (digestpage.go). Several gateways on one database send each
// digest once: a run first takes the "digest" lease.
type Digester struct {
	Accounts   *account.Store
	Quarantine *quarantine.Store
	// Sender is the re-injection listener (Postfix without milter).
	Sender   reinject.Sender
	BaseURL  string
	Hostname string
	// Holder names this gateway in the lease.
	Holder string
	// Hour is the local hour from which the day's digests go out.
	Hour int
	Now  func() time.Time
}

// maxDigestItems bounds the items one digest lists.
const maxDigestItems = 100

// digestLinkLife is the longest a digest's links work.
const digestLinkLife = 14 * 24 * time.Hour

// Run sends the digests due now and returns how many were sent. Before
// Hour nothing is due, nor while another gateway's run holds the lease; a failed digest is retried at the next run (its
// "last sent" is not advanced).
func (d *Digester) Run(ctx context.Context) (int, error) {
	now := d.Now()
	if now.Hour() < d.Hour {
		return 0, nil
	}
	ok, err := d.Accounts.Lease(ctx, "digest", d.Holder, 15*time.Minute)
	if err != nil || !ok {
		return 0, err
	}
	// Released at the end: what was sent is marked per user, so the next
	// run (on any gateway) sends only what is due then.
	defer d.Accounts.ReleaseLease(context.WithoutCancel(ctx), "digest", d.Holder)
	due, err := d.Accounts.DigestsDue(ctx, now)
	if err != nil {
		return 0, err
	}
	var errs []error
	sent := 0
	for _, u := range due {
		n, err := d.one(ctx, u, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest for %s: %w", u.Login, err))
			continue
		}
		sent += n
	}
	return sent, errors.Join(errs...)
}

// one sends u's digest if anything new was quarantined for it. The
// listing has no upper bound: an item of the same second as the run is
// in this digest and, times being whole seconds, may be listed again in
// the next one; none is skipped.
func (d *Digester) one(ctx context.Context, u account.DigestDue, now time.Time) (int, error) {
	if !strings.Contains(u.Login, "@") {
		return 0, d.Accounts.DigestSent(ctx, u.Login, now) // an admin login has no mailbox
	}
	items, err := d.Quarantine.List(ctx, quarantine.Filter{Scope: &quarantine.Scope{Recipients: []string{u.Login}},
		Since: u.Since, Limit: maxDigestItems})
	if err != nil || len(items) == 0 {
		if err == nil {
			err = d.Accounts.DigestSent(ctx, u.Login, now)
		}
		return 0, err
	}
	expires := now
	for _, it := range items {
		if it.Expires.After(expires) {
			expires = it.Expires
		}
	}
	if limit := now.Add(digestLinkLife); expires.After(limit) {
		expires = limit
	}
	token, err := d.Accounts.NewToken(ctx, u.Login, DigestPurpose, expires)
	if err != nil {
		return 0, err
	}
	msg := composeDigest(u.Login, d.Hostname, strings.TrimRight(d.BaseURL, "/"), token, items, now, expires)
	if err := d.Sender.Send(ctx, "", []string{u.Login}, bytes.NewReader(msg)); err != nil {
		return 0, err
	}
	return 1, d.Accounts.DigestSent(ctx, u.Login, now)
}

// composeDigest writes the plain-text digest: one entry per message with
// its link. Subjects and senders are the message's claims, shown as text.
func composeDigest(to, hostname, base, token string, items []quarantine.Item, now, expires time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", (&mail.Address{Name: "Mail gateway " + hostname, Address: "postmaster@" + hostname}).String())
	h("To", (&mail.Address{Address: to}).String())
	h("Subject", mime.QEncoding.Encode("utf-8", fmt.Sprintf("Quarantine: %d new message(s)", len(items))))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", fmt.Sprintf("<digest.%d@%s>", now.UnixNano(), hostname))
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	line("These messages for %s were held in quarantine. Open a link to see one and", to)
	line("release it; opening a link changes nothing by itself.")
	line("")
	for _, it := range items {
		line("%s  %s", it.Received.Local().Format("2006-01-02 15:04"), it.Category)
		line("  From:    %s", flat(it.Sender, 200))
		line("  Subject: %s", flat(it.Subject, 200))
		line("  %s/d/%s/%s", base, token, it.ID)
		line("")
	}
	line("All of them: %s/d/%s", base, token)
	line("The links work until %s. Change how often you get this mail on", expires.Local().Format("2006-01-02"))
	line("your account page: %s/account", base)
	return b.Bytes()
}

// flat keeps a claimed header value on one line and short.
func flat(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}
