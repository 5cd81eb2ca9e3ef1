package milter

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d--j/go-milter/mailfilter"
	"github.com/d--j/go-milter/mailfilter/addr"
	"github.com/d--j/go-milter/mailfilter/testtrx"

	"github.com/mailtower/mailtower/policy"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
	"github.com/mailtower/mailtower/store"
	"github.com/mailtower/mailtower/store/storetest"
)

// keywordScanner finds spam, a virus or fails depending on body keywords.
type keywordScanner struct{}

func (keywordScanner) Name() string { return "keywords" }

func (keywordScanner) Scan(_ context.Context, m *scan.Message) ([]scan.Finding, error) {
	// Line by line, so that scanning a large message stays in constant memory.
	sc := bufio.NewScanner(m.Reader())
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"FAILSCAN", "SPAMMY", "VIRUS"} {
			if strings.Contains(line, k) {
				seen[k] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []scan.Finding
	if seen["FAILSCAN"] {
		return nil, errors.New("engine unreachable")
	}
	if seen["SPAMMY"] {
		out = append(out, scan.Finding{Scanner: "keywords", Category: scan.Spam, Rule: "SPAMMY", Score: 1000, Reason: "spammy"})
	}
	if seen["VIRUS"] {
		out = append(out, scan.Finding{Scanner: "keywords", Category: scan.Virus, Rule: "Test.Virus", Reason: "virus Test.Virus"})
	}
	return out, nil
}

type sent struct {
	from string
	to   []string
	msg  string
}

type fakeReinject struct {
	mu   sync.Mutex
	sent []sent
	err  error
}

func (f *fakeReinject) Send(_ context.Context, from string, to []string, msg io.Reader) error {
	b, _ := io.ReadAll(msg)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, sent{from, to, string(b)})
	return nil
}

type fixture struct {
	filter   *Filter
	db       *store.DB
	settings *settings.SQLStore
	resolver *settings.Resolver
	q        *quarantine.Store
	reinject *fakeReinject
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.Open(t) // SQLite, or PostgreSQL under scripts/test-postgres.sh
	st, err := settings.NewSQLStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	q, err := quarantine.Open(ctx, db, dir, quarantine.Retention{Virus: 14 * 24 * time.Hour, Spam: 30 * 24 * time.Hour, Content: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	base := settings.Policy{SpamLevel: 3, SpamAction: settings.ActionQuarantine, VirusAction: settings.ActionQuarantine,
		ContentAction: settings.ActionQuarantine, MaxSize: 25_000_000, NotifyVirus: settings.NotifyNone}
	res, err := settings.NewResolver(st, st, base, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		name   string
		action settings.Action
	}{{"q.test", settings.ActionQuarantine}, {"tag.test", settings.ActionTag}, {"pass.test", settings.ActionPass}, {"del.test", settings.ActionDelete}} {
		a := d.action
		if err := st.AddDomain(ctx, settings.Domain{Name: d.name, Relay: "127.0.0.1:2525", Overrides: settings.Overrides{SpamAction: &a}}); err != nil {
			t.Fatal(err)
		}
	}
	ri := &fakeReinject{}
	rt := &Runtime{Engines: []scan.Engine{{Scanner: keywordScanner{}}}, Policy: policy.New(policy.Config{Resolver: res}), Quarantine: q, Reinject: ri,
		SpoolDir: dir, SpoolMemory: 1 << 20, Timeout: 10 * time.Second, Hostname: "gw.test"}
	return &fixture{filter: NewFilter(rt, slog.New(slog.NewTextHandler(io.Discard, nil))), db: db, settings: st, resolver: res, q: q, reinject: ri}
}

func newTrx(header, body string, rcpts ...string) *testtrx.Trx {
	return (&testtrx.Trx{}).
		SetConnect(mailfilter.Connect{Family: "tcp4", Addr: "192.0.2.1", Host: "client.example"}).
		SetHelo(mailfilter.Helo{Name: "client.example"}).
		SetQueueId("4ABCDEF").
		SetMailFrom(addr.NewMailFrom("sender@example.org", "", "smtp", "", "")).
		SetRcptTosList(rcpts...).
		SetHeadersRaw([]byte(header + "\r\n")).
		SetBodyBytes([]byte(body))
}

func mods(trx *testtrx.Trx) string {
	var out []string
	for _, m := range trx.Modifications() {
		out = append(out, m.String())
	}
	return strings.Join(out, "\n")
}

func TestCleanMailAcceptedWithHeaders(t *testing.T) {
	f := newFixture(t)
	trx := newTrx("From: a@example.org\r\nSubject: hi\r\nX-Mailtower-Verdict: clean\r\n", "hello\r\n", "bob@q.test")
	d, err := f.filter.Decide(context.Background(), trx)
	if err != nil || d != mailfilter.Accept {
		t.Fatalf("decision %v %v, want accept", d, err)
	}
	m := mods(trx)
	if strings.Contains(m, "DelRcptTo") || strings.Contains(m, "ReplaceBody") {
		t.Fatalf("clean mail must keep recipients and body:\n%s", m)
	}
	if !strings.Contains(m, `ChangeHeader 1 "X-Mailtower-Verdict" ""`) {
		t.Errorf("forged verdict header not removed:\n%s", m)
	}
	if !strings.Contains(m, `"X-Mailtower-Verdict" " clean"`) {
		t.Errorf("verdict header missing:\n%s", m)
	}
}

func TestSpamQuarantinedAndDiscarded(t *testing.T) {
	f := newFixture(t)
	trx := newTrx("From: a@example.org\r\nSubject: buy\r\n", "SPAMMY\r\n", "bob@q.test")
	d, _ := f.filter.Decide(context.Background(), trx)
	if d != mailfilter.Discard {
		t.Fatalf("decision %v, want discard (the only recipient is quarantined)", d)
	}
	items, err := f.q.List(context.Background(), quarantine.Filter{})
	if err != nil || len(items) != 1 {
		t.Fatalf("quarantine has %d items (%v), want 1", len(items), err)
	}
	it := items[0]
	if it.Category != scan.Spam || it.Recipient != "bob@q.test" || it.Sender != "sender@example.org" ||
		it.Subject != "buy" || it.QueueID != "4ABCDEF" || it.Score != 1000 {
		t.Fatalf("item %+v", it)
	}
	if got := it.Expires.Sub(it.Received); got != 30*24*time.Hour {
		t.Fatalf("spam retention %v, want 30 days", got)
	}
}

func TestSpamTaggedOnce(t *testing.T) {
	f := newFixture(t)
	for _, subj := range []string{"Subject: offer\r\n", "Subject: *** SPAM *** offer\r\n", ""} {
		trx := newTrx("From: a@example.org\r\n"+subj, "SPAMMY\r\n", "bob@tag.test")
		d, _ := f.filter.Decide(context.Background(), trx)
		if d != mailfilter.Accept {
			t.Fatalf("decision %v, want accept", d)
		}
		got, _ := trx.Headers().Subject()
		if strings.Count(got, "*** SPAM ***") != 1 {
			t.Fatalf("subject %q (from %q) must carry the tag exactly once", got, subj)
		}
	}
}

func TestScannerFailureTempfails(t *testing.T) {
	f := newFixture(t)
	trx := newTrx("Subject: x\r\n", "FAILSCAN\r\n", "bob@q.test")
	d, _ := f.filter.Decide(context.Background(), trx)
	if !strings.HasPrefix(d.String(), "451 ") {
		t.Fatalf("decision %q, want 451", d)
	}
	if items, _ := f.q.List(context.Background(), quarantine.Filter{}); len(items) != 0 {
		t.Fatalf("nothing may be quarantined on a tempfail")
	}
}

func TestExactPerRecipientActions(t *testing.T) {
	f := newFixture(t)
	trx := newTrx("From: a@example.org\r\nSubject: offer\r\n", "SPAMMY\r\n",
		"a@q.test", "b@tag.test", "c@pass.test", "d@pass.test", "e@del.test")
	d, _ := f.filter.Decide(context.Background(), trx)
	if d != mailfilter.Accept {
		t.Fatalf("decision %v", d)
	}
	m := mods(trx)
	for _, want := range []string{`DelRcptTo "a@q.test"`, `DelRcptTo "b@tag.test"`, `DelRcptTo "e@del.test"`} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %s in\n%s", want, m)
		}
	}
	if strings.Contains(m, `DelRcptTo "c@pass.test"`) || strings.Contains(m, "SPAM ***") {
		t.Errorf("pass recipients keep an untagged message:\n%s", m)
	}
	if len(f.reinject.sent) != 1 || strings.Join(f.reinject.sent[0].to, ",") != "b@tag.test" {
		t.Fatalf("re-injected %+v, want one tagged copy for b@tag.test", f.reinject.sent)
	}
	if c := f.reinject.sent[0]; !strings.Contains(c.msg, "Subject: *** SPAM *** offer\r\n") || c.from != "sender@example.org" ||
		!strings.HasSuffix(c.msg, "\r\n\r\nSPAMMY\r\n") {
		t.Fatalf("tagged copy wrong: %q", c.msg)
	}
	items, _ := f.q.List(context.Background(), quarantine.Filter{})
	if len(items) != 1 || items[0].Recipient != "a@q.test" {
		t.Fatalf("quarantine %+v, want only a@q.test", items)
	}
}

func TestReinjectFailureTempfails(t *testing.T) {
	f := newFixture(t)
	f.reinject.err = errors.New("connection refused")
	trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", "b@tag.test", "c@pass.test", "d@pass.test")
	if d, _ := f.filter.Decide(context.Background(), trx); !strings.HasPrefix(d.String(), "451 ") {
		t.Fatalf("decision %q, want 451 when a split copy cannot be queued", d)
	}
}

func TestAllowedSenderSkipsSpamNotVirus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.settings.AddRule(ctx, settings.Rule{Scope: settings.Scope{Kind: settings.ScopeUser, Name: "bob@q.test"},
		Kind: settings.AllowSender, Value: "sender@example.org"}); err != nil {
		t.Fatal(err)
	}
	trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", "bob@q.test")
	if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Accept {
		t.Fatalf("allowed sender's spam: %v, want accept", d)
	}
	trx = newTrx("Subject: offer\r\n", "SPAMMY VIRUS\r\n", "bob@q.test")
	if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Discard {
		t.Fatalf("allowed sender's virus: %v, want discard (quarantined)", d)
	}
	items, _ := f.q.List(ctx, quarantine.Filter{Category: scan.Virus})
	if len(items) != 1 {
		t.Fatalf("virus items %d, want 1", len(items))
	}
}

func TestOverSizeForEveryRecipientRejected(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	small := int64(100)
	if err := f.settings.UpdateDomain(ctx, "q.test", func(d *settings.Domain) error { d.Overrides.MaxSize = &small; return nil }); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 200) + "\r\n"
	if d, _ := f.filter.Decide(ctx, newTrx("Subject: big\r\n", big, "a@q.test")); !strings.HasPrefix(d.String(), "552 5.3.4") {
		t.Fatalf("decision %q, want 552 5.3.4", d)
	}
	// One recipient over its limit, one not: the first is quarantined, never dropped silently.
	trx := newTrx("Subject: big\r\n", big, "a@q.test", "b@pass.test")
	if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Accept {
		t.Fatalf("decision %v", d)
	}
	items, _ := f.q.List(ctx, quarantine.Filter{})
	if len(items) != 1 || items[0].Recipient != "a@q.test" || !strings.Contains(items[0].Reason, "exceeds the limit") {
		t.Fatalf("items %+v", items)
	}
}

func TestTieKeepsUntaggedCopyInPostfix(t *testing.T) {
	f := newFixture(t)
	trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", "b@tag.test", "c@pass.test")
	if d, _ := f.filter.Decide(context.Background(), trx); d != mailfilter.Accept {
		t.Fatalf("decision %v", d)
	}
	if m := mods(trx); !strings.Contains(m, `DelRcptTo "b@tag.test"`) || strings.Contains(m, "SPAM ***") {
		t.Fatalf("the untagged copy should stay in Postfix's transaction:\n%s", m)
	}
	if len(f.reinject.sent) != 1 || f.reinject.sent[0].to[0] != "b@tag.test" {
		t.Fatalf("re-injected %+v", f.reinject.sent)
	}
}

// virusOnlyScanner reports the keyword scanner's virus findings only, as
// clamd would.
type virusOnlyScanner struct{}

func (virusOnlyScanner) Name() string { return "virus-only" }

func (virusOnlyScanner) Scan(ctx context.Context, m *scan.Message) ([]scan.Finding, error) {
	fs, err := keywordScanner{}.Scan(ctx, m)
	var out []scan.Finding
	for _, f := range fs {
		if f.Category == scan.Virus {
			out = append(out, f)
		}
	}
	return out, err
}

func TestOutboundScannedForVirusesOnly(t *testing.T) {
	f := newFixture(t)
	rt := *f.filter.rt.Load()
	rt.VirusEngines = []scan.Engine{{Scanner: virusOnlyScanner{}}}
	// 192.0.2.1, the fixture's client, is a relay network of example.org.
	rt.Policy = policy.New(policy.Config{Resolver: f.resolver, Relay: relayFunc(func(client netip.Addr) []string {
		if client.String() == "192.0.2.1" {
			return []string{"example.org"}
		}
		return nil
	})})
	f.filter.Reload(&rt)
	ctx := context.Background()
	// The customer's own outbound spam-looking mail is not judged as spam...
	if d, _ := f.filter.Decide(ctx, newTrx("Subject: newsletter\r\n", "SPAMMY\r\n", "someone@outside.test")); d != mailfilter.Accept {
		t.Fatalf("outbound mail: %v, want accept (viruses only)", d)
	}
	// ...but a virus in it is still caught.
	if d, _ := f.filter.Decide(ctx, newTrx("Subject: x\r\n", "VIRUS\r\n", "someone@outside.test")); d != mailfilter.Discard {
		t.Fatalf("outbound virus: %v, want discard (quarantined)", d)
	}
	// The same client with a foreign sender is inbound mail: fully scanned.
	trx := newTrx("Subject: offer\r\n", "SPAMMY\r\n", "someone@outside.test")
	trx.SetMailFrom(addr.NewMailFrom("other@elsewhere.example", "", "smtp", "", ""))
	if d, _ := f.filter.Decide(ctx, trx); d != mailfilter.Discard {
		t.Fatalf("foreign sender from a relay network: %v, want discard (spam quarantined)", d)
	}
}

// relayFunc is a policy.RelaySource from a function.
type relayFunc func(client netip.Addr) []string

func (f relayFunc) OutboundDomains(_ context.Context, client netip.Addr) ([]string, error) {
	return f(client), nil
}
