package settings

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/mailtower/mailtower/store/storetest"
)

func newTestStore(t *testing.T) *SQLStore {
	t.Helper()
	db := storetest.Open(t)
	s, err := NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

var base = Policy{SpamLevel: 3, SpamAction: ActionQuarantine, VirusAction: ActionQuarantine,
	ContentAction: ActionQuarantine, MaxSize: 25_000_000, NotifyVirus: NotifyRecipient}

func TestResolveOrderAndSources(t *testing.T) {
	d := &Domain{Name: "example.com", Overrides: Overrides{SpamLevel: ptr(5), SpamAction: ptr(ActionTag)}}
	u := &User{Address: "a@example.com", Overrides: Overrides{SpamAction: ptr(ActionDelete), MaxSize: ptr(int64(1000))}}
	r := Resolve(base, d, u)
	if r.SpamLevel != 5 || r.Sources["spam-level"] != FromDomain {
		t.Errorf("spam level %d from %s; want 5 from domain", r.SpamLevel, r.Sources["spam-level"])
	}
	if r.SpamAction != ActionDelete || r.Sources["spam-action"] != FromUser {
		t.Errorf("spam action %s from %s; want delete from user", r.SpamAction, r.Sources["spam-action"])
	}
	if r.VirusAction != ActionQuarantine || r.Sources["virus-action"] != FromDefault {
		t.Errorf("virus action %s from %s; want quarantine from default", r.VirusAction, r.Sources["virus-action"])
	}
	if r.MaxSize != 1000 || r.SpamThreshold() != SpamThresholds[5] {
		t.Errorf("max size %d threshold %v", r.MaxSize, r.SpamThreshold())
	}
}

func TestStoreRoundTripAndResolver(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	d := Domain{Name: "example.com", Relay: "mx.example.net:25", CatchAll: true,
		RelayNets: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
		Overrides: Overrides{ContentAction: ptr(ActionTag)}}
	if err := s.AddDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(ctx, d); !errors.Is(err, ErrExists) {
		t.Fatalf("second add: %v, want ErrExists", err)
	}
	got, err := s.Domain(ctx, "example.com")
	if err != nil || got.Relay != d.Relay || !got.CatchAll || len(got.RelayNets) != 1 || *got.Overrides.ContentAction != ActionTag {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if err := s.AddUser(ctx, User{Address: "bob@example.com", Domain: "example.com",
		Overrides: Overrides{SpamLevel: ptr(1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, User{Address: "x@nowhere.example", Domain: "nowhere.example"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("user of unknown domain: %v, want ErrNotFound", err)
	}
	res, err := NewResolver(s, s, base, 100)
	if err != nil {
		t.Fatal(err)
	}
	r, err := res.Resolve(ctx, "Bob+news@Example.COM")
	if err != nil || r.SpamLevel != 1 || r.ContentAction != ActionTag || r.User == nil {
		t.Fatalf("resolve +ext: %+v %v", r.Policy, err)
	}
	// A change by "another process" must be seen despite the cache.
	if err := s.UpdateUser(ctx, "bob@example.com", func(u *User) error { u.Overrides.SpamLevel = ptr(4); return nil }); err != nil {
		t.Fatal(err)
	}
	r, _ = res.Resolve(ctx, "bob@example.com")
	if r.SpamLevel != 4 {
		t.Fatalf("after update spam level %d, want 4 (cache not invalidated)", r.SpamLevel)
	}
	if _, err := s.AddRule(ctx, Rule{Scope: Scope{Kind: ScopeUser, Name: "bob@example.com"}, Kind: AllowSender, Value: "friend@x.example"}); err != nil {
		t.Fatal(err)
	}
	r, _ = res.Resolve(ctx, "bob@example.com")
	if len(r.Rules) != 1 || r.Rules[0].Value != "friend@x.example" {
		t.Fatalf("rules after adding one: %+v (cache not invalidated by a rule change?)", r.Rules)
	}
	r, _ = res.Resolve(ctx, "someone@other.example")
	if r.Domain != nil || r.Policy != base {
		t.Fatalf("unknown domain should get the base policy: %+v", r)
	}
	if err := s.RemoveDomain(ctx, "example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, "bob@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("user must go with its domain: %v", err)
	}
}

func TestRules(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for _, tc := range []struct {
		kind    RuleKind
		in, out string
		bad     bool
	}{
		{BlockIP, "192.0.2.7", "192.0.2.7/32", false},
		{BlockIP, "192.0.2.7/24", "192.0.2.0/24", false},
		{BlockIP, "nonsense", "", true},
		{BlockSender, "Spammer@Example.com", "spammer@example.com", false},
		{BlockSenderDomain, "@Bad.Example", "bad.example", false},
		{BlockFiletype, ".EXE", "exe", false},
		{BlockContent, "(?i)viagra", "(?i)viagra", false},
		{BlockContent, "(unclosed", "", true},
	} {
		got, err := NormalizeRuleValue(tc.kind, tc.in)
		if (err != nil) != tc.bad || got != tc.out {
			t.Errorf("%s %q = %q, %v", tc.kind, tc.in, got, err)
		}
	}
	add := func(scope string, k RuleKind, v string) {
		sc, err := ParseScope(scope)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddRule(ctx, Rule{Scope: sc, Kind: k, Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	add("global", BlockIP, "198.51.100.0/24")
	add("example.com", BlockSender, "a@b.example")
	add("bob@example.com", BlockFiletype, "exe")
	add("other.example", BlockSender, "c@d.example")
	rs, err := s.RulesFor(ctx, "bob@example.com")
	if err != nil || len(rs) != 3 {
		t.Fatalf("rules for bob: %d %v, want 3", len(rs), err)
	}
	rs, _ = s.RulesFor(ctx, "alice@example.com")
	if len(rs) != 2 {
		t.Fatalf("rules for alice: %d, want 2", len(rs))
	}
	if _, err := s.AddRule(ctx, Rule{Scope: Scope{Kind: ScopeGlobal}, Kind: BlockIP, Value: "198.51.100.9/24"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate rule: %v", err)
	}
}

// TestRemoveRuleIn: a rule is removed only through its own scope and kind.
func TestRemoveRuleIn(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	dom := Scope{Kind: ScopeDomain, Name: "example.com"}
	other := Scope{Kind: ScopeDomain, Name: "other.example"}
	r, err := s.AddRule(ctx, Rule{Scope: other, Kind: BlockSender, Value: "x@y.example"})
	if err != nil {
		t.Fatal(err)
	}
	ip, _ := s.AddRule(ctx, Rule{Scope: dom, Kind: BlockIP, Value: "192.0.2.1"})
	for _, tc := range []struct {
		scope Scope
		id    int64
		kinds []RuleKind
	}{
		{dom, r.ID, nil}, // another domain's rule
		{Scope{Kind: ScopeUser, Name: "example.com"}, r.ID, nil}, // wrong scope kind
		{dom, ip.ID, []RuleKind{BlockSender, AllowSender}},       // a kind not asked for
	} {
		if _, err := s.RemoveRuleIn(ctx, tc.scope, tc.id, tc.kinds...); !errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveRuleIn(%s, %d, %v): %v, want not found", tc.scope, tc.id, tc.kinds, err)
		}
	}
	if got, err := s.RemoveRuleIn(ctx, other, r.ID, BlockSender); err != nil || got.Value != "x@y.example" {
		t.Fatalf("own rule: %+v %v", got, err)
	}
	if rs, _ := s.Rules(ctx, Scope{}, ""); len(rs) != 1 || rs[0].ID != ip.ID {
		t.Fatalf("left: %+v", rs)
	}
}
