package settings

import (
	"context"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestParseMirrorKey(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, err string
	}{
		{"x25519", id.Recipient().String(), ""},
		{"hybrid", pq.Recipient().String(), ""},
		{"spaces around", "  " + id.Recipient().String() + "\n", ""},
		{"secret key", id.String(), "secret key"},
		{"garbage", "age1nothing", "want a public key"},
		{"empty", "", "want a public key"},
		{"ssh key", "ssh-ed25519 AAAA", "want a public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMirrorKey(tc.key)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("ParseMirrorKey(%q) = %v, want error containing %q", tc.key, err, tc.err)
			}
			if tc.name == "secret key" && strings.Contains(err.Error(), id.String()) {
				t.Fatal("the error echoes the secret key")
			}
		})
	}
}

func TestDomainExtrasRoundTrip(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	id, _ := age.GenerateX25519Identity()
	esc, _ := age.GenerateX25519Identity()
	if err := s.AddDomain(ctx, Domain{Name: "m.test", Relay: "mx.m.test"}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Domain(ctx, "m.test")
	if err != nil || d.Mirror != nil || d.VerifyRecipients != VerifyList {
		t.Fatalf("new domain: %+v, %v; want no mirror and the list check", d, err)
	}
	gen, _ := s.Generation(ctx)
	m := &Mirror{Days: 14, Recipient: id.Recipient().String(), Escrow: esc.Recipient().String()}
	if err := s.UpdateDomain(ctx, "m.test", func(d *Domain) error {
		d.Mirror, d.VerifyRecipients = m, VerifyCallout
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d, err = s.Domain(ctx, "m.test")
	if err != nil || d.Mirror == nil || *d.Mirror != *m || d.VerifyRecipients != VerifyCallout {
		t.Fatalf("after update: %+v %v", d, err)
	}
	if g, _ := s.Generation(ctx); g <= gen {
		t.Error("the settings generation did not change")
	}
	rs, err := d.Mirror.Recipients()
	if err != nil || len(rs) != 2 {
		t.Fatalf("Recipients: %d, %v", len(rs), err)
	}
	// A bad key never reaches the table.
	err = s.UpdateDomain(ctx, "m.test", func(d *Domain) error { d.Mirror.Recipient = "age1bad"; return nil })
	if err == nil {
		t.Fatal("a bad key was stored")
	}
	// Off again; removing the domain removes the rows.
	if err := s.UpdateDomain(ctx, "m.test", func(d *Domain) error { d.Mirror, d.VerifyRecipients = nil, VerifyList; return nil }); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.Domain(ctx, "m.test"); d.Mirror != nil || d.VerifyRecipients != VerifyList {
		t.Fatalf("after turning off: %+v", d)
	}
	if err := s.UpdateDomain(ctx, "m.test", func(d *Domain) error { d.Mirror = m; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDomain(ctx, "m.test"); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM domain_mirror`).Scan(&n)
	if n != 0 {
		t.Errorf("%d mirror rows left after removing the domain", n)
	}
}

func TestParseMirrorDaysAndVerifyMode(t *testing.T) {
	for s, ok := range map[string]bool{"0": true, "14": true, "90": true, "91": false, "-1": false, "x": false} {
		if _, err := ParseMirrorDays(s); (err == nil) != ok {
			t.Errorf("ParseMirrorDays(%q) = %v", s, err)
		}
	}
	for s, ok := range map[string]bool{"list": true, "Callout": true, "smtp": false, "": false} {
		if _, err := ParseVerifyMode(s); (err == nil) != ok {
			t.Errorf("ParseVerifyMode(%q) = %v", s, err)
		}
	}
}
