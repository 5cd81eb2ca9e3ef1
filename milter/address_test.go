package milter

import (
	"context"
	"strings"
	"testing"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/settings"
)

// A recipient written in another case is removed from Postfix's
// transaction under the exact string Postfix gave; otherwise go-milter's
// case-sensitive DelRcptTo deletes nothing and the quarantined recipient
// gets the message anyway.
func TestMixedCaseRecipientDeleted(t *testing.T) {
	f := newFixture(t)
	trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", "Alice@Q.test", "c@pass.test")
	if d, _ := f.filter.Decide(context.Background(), trx); d != mailfilter.Accept {
		t.Fatalf("decision %v", d)
	}
	if m := mods(trx); !strings.Contains(m, `DelRcptTo "Alice@Q.test"`) {
		t.Errorf("quarantined recipient not deleted as given:\n%s", m)
	}
	for _, r := range trx.RcptTos() {
		if strings.EqualFold(r.Addr, "alice@q.test") {
			t.Errorf("Alice@Q.test still a recipient of the delivered copy")
		}
	}
	items, _ := f.q.List(context.Background(), quarantine.Filter{})
	if len(items) != 1 || items[0].Recipient != "alice@q.test" {
		t.Fatalf("quarantine %+v, want one item for alice@q.test (canonical)", items)
	}
}

// A quoted local part gets its user's policy: Postfix delivers
// "alice"@x to alice@x, and the policy daemon sees alice@x.
func TestQuotedRecipientGetsUserPolicy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	q := settings.ActionQuarantine
	if err := f.settings.AddUser(ctx, settings.User{Address: "alice@pass.test", Domain: "pass.test",
		Overrides: settings.Overrides{SpamAction: &q}}); err != nil {
		t.Fatal(err)
	}
	trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", `"Alice"@pass.test`, "c@pass.test")
	if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Accept {
		t.Fatalf("decision %v", d)
	}
	if m := mods(trx); !strings.Contains(m, `DelRcptTo "\"Alice\"@pass.test"`) {
		t.Errorf("quoted recipient not deleted as given:\n%s", m)
	}
	items, _ := f.q.List(ctx, quarantine.Filter{})
	if len(items) != 1 || items[0].Recipient != "alice@pass.test" {
		t.Fatalf("quarantine %+v, want alice@pass.test (the user's spam action)", items)
	}
}

// Allow-sender rules match in the milter as in the policy daemon:
// "@domain" covers subdomains, "+ext" is ignored.
func TestAllowSenderMatchesLikePolicyd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, v := range []string{"@example.org", "news@example.net"} {
		if _, err := f.settings.AddRule(ctx, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeUser, Name: "bob@q.test"},
			Kind: settings.AllowSender, Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sender := range []string{"x@mail.example.org", "News+weekly@Example.NET"} {
		trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", "bob@q.test").
			SetMailFrom(addr.NewMailFrom(sender, "", "smtp", "", ""))
		if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Accept {
			t.Errorf("spam from allowed sender %s: %v, want accept", sender, d)
		}
	}
}

type recordingNotifier struct{ got []VirusNotice }

func (r *recordingNotifier) VirusFound(_ context.Context, n VirusNotice) { r.got = append(r.got, n) }

// A virus notice never goes to the sender, whatever case the sender wrote.
func TestVirusNoticeNeverToSenderInOtherCase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rt := *f.filter.rt.Load()
	n := &recordingNotifier{}
	rt.Notify = n
	f.filter.Reload(&rt)
	rcpt := settings.NotifyRecipient
	if err := f.settings.AddUser(ctx, settings.User{Address: "bob@q.test", Domain: "q.test",
		Overrides: settings.Overrides{NotifyVirus: &rcpt}}); err != nil {
		t.Fatal(err)
	}
	trx := newTrx("Subject: x\r\n", "VIRUS\r\n", "bob@q.test").
		SetMailFrom(addr.NewMailFrom("Bob@Q.test", "", "smtp", "", ""))
	if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Discard {
		t.Fatalf("decision %v, want discard (quarantined)", d)
	}
	if len(n.got) != 0 {
		t.Fatalf("notices %+v: the recipient is the sender (Bob@Q.test), none may be sent", n.got)
	}
}
