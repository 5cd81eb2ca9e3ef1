package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/mailtower/mailtower/mirror"
	"github.com/mailtower/mailtower/store"
)

func TestDomainSetMirrorAndCallout(t *testing.T) {
	cfg := testConfig(t)
	key, _ := age.GenerateX25519Identity()
	pub := key.Recipient().String()
	mustRun(t, cfg, "domain", "add", "m.test", "--relay", "mx.m.test")
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--mirror-days", "14"}, "needs both --mirror-days N and --mirror-key"},
		{[]string{"--mirror-key", pub}, "needs both"},
		{[]string{"--mirror-days", "14", "--mirror-key", key.String()}, "secret key"},
		{[]string{"--mirror-days", "14", "--mirror-key", "age1xyz"}, "want a public key"},
		{[]string{"--mirror-days", "400", "--mirror-key", pub}, "want 1 to 90"},
		{[]string{"--verify-recipients", "smtp"}, "want list"},
	} {
		out, err := run(t, cfg, append([]string{"domain", "set", "m.test"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: %v\n%s; want an error with %q", tc.args, err, out, tc.err)
		}
		if strings.Contains(out, key.String()) || err != nil && strings.Contains(err.Error(), key.String()) {
			t.Errorf("%v: the secret key is echoed", tc.args)
		}
	}
	mustRun(t, cfg, "domain", "set", "m.test", "--mirror-days", "14", "--mirror-key", pub, "--verify-recipients", "callout")
	var v domainView
	if err := json.Unmarshal([]byte(mustRun(t, cfg, "domain", "show", "m.test", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Mirror == nil || v.Mirror.Days != 14 || v.Mirror.Key != pub || v.VerifyRecipients != "callout" {
		t.Fatalf("domain show: %+v", v)
	}
	// Days alone change the days; 0 turns it off.
	mustRun(t, cfg, "domain", "set", "m.test", "--mirror-days", "7")
	if out := mustRun(t, cfg, "domain", "show", "m.test"); !strings.Contains(out, "7 days, to "+pub) {
		t.Fatalf("domain show:\n%s", out)
	}
	mustRun(t, cfg, "domain", "set", "m.test", "--mirror-days", "0", "--verify-recipients", "list")
	if out := mustRun(t, cfg, "domain", "show", "m.test"); !strings.Contains(out, "mirror             off") ||
		!strings.Contains(out, "verify-recipients  list") {
		t.Fatalf("domain show after turning off:\n%s", out)
	}
}

func TestMirrorCommands(t *testing.T) {
	cfg := testConfig(t)
	key, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	dataDir := filepath.Join(filepath.Dir(cfg), "data")
	mustRun(t, cfg, "domain", "add", "m.test", "--relay", "mx.m.test")
	db, err := store.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mirror.Open(context.Background(), db, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), mirror.Entry{Domain: "m.test", Sender: "a@x.example", Recipients: []string{"bob@m.test"},
		Raw: strings.NewReader("Subject: hi\r\n\r\nbody\r\n"), Days: 3, Keys: []age.Recipient{key.Recipient()}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	idFile := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(idFile, []byte("# created: now\n# public key: "+key.Recipient().String()+"\n"+key.String()+"\n"), 0o600)
	otherFile := filepath.Join(t.TempDir(), "other.txt")
	os.WriteFile(otherFile, []byte(other.String()+"\n"), 0o600)

	out := mustRun(t, cfg, "mirror", "list", "--domain", "m.test")
	if !strings.Contains(out, "a@x.example") || !strings.Contains(out, "bob@m.test") || strings.Contains(out, "hi") && strings.Contains(out, "Subject") {
		t.Fatalf("mirror list:\n%s", out)
	}
	out = mustRun(t, cfg, "mirror", "replay", "--domain", "m.test", "--since", "1d", "-i", idFile, "--dry-run")
	if !strings.Contains(out, "decrypts") || !strings.Contains(out, "would replay (dry run; nothing sent) 1 of 1") {
		t.Fatalf("dry run:\n%s", out)
	}
	out, err = run(t, cfg, "mirror", "replay", "--domain", "m.test", "--since", "1d", "-i", otherFile, "--dry-run")
	if err == nil || !strings.Contains(out, "FAILED: the identity does not decrypt") {
		t.Fatalf("wrong identity: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"mirror", "replay", "--domain", "m.test", "-i", idFile},                // no --since
		{"mirror", "replay", "--domain", "m.test", "--since", "1d"},             // no identity
		{"mirror", "replay", "--since", "1d", "-i", idFile},                     // no domain
		{"mirror", "replay", "--domain", "m.test", "--since", "", "-i", idFile}, // empty filter
	} {
		if _, err := run(t, cfg, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	if out := mustRun(t, cfg, "mirror", "stats"); !strings.Contains(out, "m.test") {
		t.Fatalf("stats:\n%s", out)
	}
	if out := mustRun(t, cfg, "mirror", "purge"); !strings.Contains(out, "removed 0 expired") {
		t.Fatalf("purge now:\n%s", out)
	}
	if out := mustRun(t, cfg, "mirror", "purge", "--now", "2099-01-01T00:00:00Z"); !strings.Contains(out, "removed 1 expired") {
		t.Fatalf("purge later:\n%s", out)
	}
}
