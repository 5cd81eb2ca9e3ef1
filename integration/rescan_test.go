//go:build integration

package integration

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseRescan: a spam message carrying a file that no signature
// knows yet is quarantined as spam; then clamd learns a signature for the
// file (a new .hdb line, clamd restarted). Releasing the message scans it
// again: the release is refused and the entry becomes a virus entry naming
// the new signature; --force releases it to the customer.
func TestReleaseRescan(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	rcpt := "ivan@quarantine.test"

	pattern := []byte("mailtower rescan test pattern: harmless until a signature names it\n")
	sum := md5.Sum(pattern)
	msg := message([]string{"From: <spammer@sender.example>", "To: <" + rcpt + ">", "Subject: Your prize",
		"MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="b1"`},
		"--b1\nContent-Type: text/plain\n\nClaim it now! "+gtube+"\n"+
			"--b1\nContent-Type: application/octet-stream; name=\"prize.bin\"\nContent-Transfer-Encoding: base64\n\n"+
			base64.StdEncoding.EncodeToString(pattern)+"\n--b1--\n")
	e.sendOK(t, "spammer@sender.example", []string{rcpt}, msg)
	e.settle(t)
	items := e.quarantined(t, "spam", rcpt)
	if len(items) != 1 {
		t.Fatalf("%d spam entries for %s, want 1", len(items), rcpt)
	}
	id := strings.Trim(string(items[0].ID), `"`)

	// Today's signatures learn the file.
	sig := fmt.Sprintf("%s:%d:Rescan-Test-Pattern\n", hex.EncodeToString(sum[:]), len(pattern))
	if err := os.WriteFile(filepath.Join(e.Clamd.Dir, "db", "rescan.hdb"), []byte(sig), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Clamd.Stop()
	if err := e.Clamd.Start(); err != nil {
		t.Fatal(err)
	}

	out, err := e.Mailtower.CLI("quarantine", "release", id)
	if err == nil || !strings.Contains(err.Error(), "Rescan-Test-Pattern") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("release after the signature update: %v\n%s\nwant a refusal naming the virus and --force", err, out)
	}
	t.Logf("release refused: %v", strings.SplitN(err.Error(), ": ", 2)[1])
	if v := e.quarantined(t, "virus", rcpt); len(v) != 1 || !strings.Contains(v[0].Reason, "Rescan-Test-Pattern") {
		t.Fatalf("virus entries for %s: %+v, want the entry updated with the new signature", rcpt, v)
	} else {
		t.Logf("entry now: %s: %s", v[0].Category, v[0].Reason)
	}
	if s := e.quarantined(t, "spam", rcpt); len(s) != 0 {
		t.Errorf("still listed as spam: %+v", s)
	}
	e.settle(t)
	if n := len(e.deliveredWithSubject(rcpt, "Your prize")); n != 0 {
		t.Fatalf("%d copies delivered after a refused release", n)
	}

	out, err = e.Mailtower.CLI("quarantine", "release", id, "--force")
	if err != nil || !strings.Contains(out, "released to "+rcpt) || !strings.Contains(out, "released with --force") {
		t.Fatalf("release --force: %v\n%s", err, out)
	}
	t.Logf("release --force: %s", strings.TrimSpace(out))
	e.settle(t)
	if n := len(e.deliveredWithSubject(rcpt, "Your prize")); n != 1 {
		t.Fatalf("%d copies delivered after release --force, want 1", n)
	}
}
