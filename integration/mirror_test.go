//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// mirrorItem is `mirror list --json` with the fields the test reads.
type mirrorItem struct {
	ID         string    `json:"id"`
	Received   time.Time `json:"received"`
	Expires    time.Time `json:"expires"`
	Sender     string    `json:"sender"`
	Recipients []string  `json:"recipients"`
	Replays    []struct {
		By string `json:"by"`
	} `json:"replays"`
}

func (e *Env) mirrorList(t *testing.T, args ...string) []mirrorItem {
	t.Helper()
	out := e.cli(t, append([]string{"mirror", "list", "--json", "--domain", "mirror.test"}, args...)...)
	var items []mirrorItem
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("mirror list --json: %v\n%s", err, out)
	}
	return items
}

// customerKey makes the customer's age key as a customer would, with
// age-keygen (Debian's age), or with the library when it is missing.
func customerKey(t *testing.T, dir string) (identityFile, publicKey string) {
	t.Helper()
	identityFile = filepath.Join(dir, "customer-key.txt")
	if _, err := exec.LookPath("age-keygen"); err == nil {
		if out, err := exec.Command("age-keygen", "-o", identityFile).CombinedOutput(); err != nil {
			t.Fatalf("age-keygen: %v\n%s", err, out)
		}
	} else {
		t.Log("age-keygen not installed (scripts/install-deps.sh): key made with filippo.io/age")
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(identityFile, []byte("# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600)
	}
	b, err := os.ReadFile(identityFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, ok := strings.CutPrefix(line, "# public key: "); ok {
			return identityFile, strings.TrimSpace(k)
		}
	}
	t.Fatalf("no public key line in %s", identityFile)
	return "", ""
}

// withoutFields returns raw without the header fields for which drop
// (given the field's index and name) is true, continuation lines included.
func withoutFields(raw []byte, drop func(i int, name string) bool) []byte {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	var out bytes.Buffer
	i, skipping := -1, false
	for _, line := range bytes.SplitAfter(append(head, "\r\n"...), []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			i++
			name, _, _ := bytes.Cut(line, []byte(":"))
			skipping = drop(i, string(name))
		}
		if !skipping {
			out.Write(line)
		}
	}
	out.WriteString("\r\n")
	out.Write(body)
	return out.Bytes()
}

// TestMirrorReplay walks MailMirror on a real gateway: a message to a
// mirrored domain reaches the customer and its encrypted copy is stored,
// holding no plaintext and decrypting (Debian's age) to exactly what was
// delivered; replay without the identity, or with another key, sends
// nothing; replay with the customer's identity delivers it again with the
// original envelope, byte-identical apart from the added header (and the
// per-hop Received fields); a second replay says so; purge removes only
// expired copies.
func TestMirrorReplay(t *testing.T) {
	e := NewEnv(t, EnvOptions{Domains: []string{"clean.test", "mirror.test"}, NoClamd: true, NoSpamd: true})
	keyDir := t.TempDir()
	identity, pub := customerKey(t, keyDir)
	e.addDomain(t, "clean.test")
	e.addDomain(t, "mirror.test", "--mirror-days", "14", "--mirror-key", pub)
	time.Sleep(1500 * time.Millisecond) // the milter reads the settings generation at most once a second

	const sender, rcpt = "alice@sender.example", "bob@mirror.test"
	e.sendOK(t, sender, []string{rcpt}, message([]string{"From: <" + sender + ">", "To: <" + rcpt + ">",
		"Subject: Pineapple ledger 42", "Date: Sat, 05 Dec 2026 10:00:00 +0000", "Message-ID: <ledger42@sender.example>"},
		"The mango shipment arrives on Tuesday.\nÜmlauts stay 8-bit.\n"))
	first := e.waitDelivered(t, rcpt)
	e.settle(t)

	items := e.mirrorList(t, "--message-id", "<ledger42@sender.example>")
	if len(items) != 1 || items[0].Sender != sender || strings.Join(items[0].Recipients, ",") != rcpt {
		t.Fatalf("mirror list: %+v", items)
	}
	if n := len(e.mirrorList(t)); n != 1 {
		t.Fatalf("%d mirror entries, want 1 (the marker's domain has no mirror)", n)
	}
	// The stored file: no plaintext; only the customer's key opens it.
	var files []string
	filepath.Walk(filepath.Join(e.Mailtower.DataDir, "mirror"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".age") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 1 {
		t.Fatalf("mirror files: %v", files)
	}
	stored, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"Pineapple", "ledger", "mango", "Tuesday", "Subject", "alice"} {
		if bytes.Contains(stored, []byte(plain)) {
			t.Errorf("the stored file contains %q in plaintext", plain)
		}
	}
	if _, err := exec.LookPath("age"); err == nil {
		out, err := exec.Command("age", "-d", "-i", identity, files[0]).Output()
		if err != nil {
			t.Fatalf("age -d: %v", err)
		}
		// What was stored is what the customer got, the gateway's own
		// Received field standing in for the one Postfix added on delivery.
		notFirst := func(i int, _ string) bool { return i == 0 }
		if got, want := withoutFields(out, notFirst), withoutFields(first.Data, notFirst); !bytes.Equal(got, want) {
			t.Fatalf("decrypted copy differs from the delivered one:\n%s\n---\n%s", got, want)
		}
	}

	// Without the identity, or with someone else's, nothing is sent.
	if _, err := e.Mailtower.CLI("mirror", "replay", "--domain", "mirror.test", "--since", "1h"); err == nil {
		t.Fatal("replay without an identity ran")
	}
	otherID := filepath.Join(t.TempDir(), "other.txt")
	other, _ := age.GenerateX25519Identity()
	os.WriteFile(otherID, []byte(other.String()+"\n"), 0o600)
	out, err := e.Mailtower.CLI("mirror", "replay", "--domain", "mirror.test", "--since", "1h", "-i", otherID)
	if err == nil || !strings.Contains(out, "FAILED: the identity does not decrypt") {
		t.Fatalf("replay with another key: %v\n%s", err, out)
	}
	e.settle(t)
	if n := len(e.deliveredTo(rcpt)); n != 1 {
		t.Fatalf("%d copies at the customer after failed replays, want 1", n)
	}

	// Replay with the customer's identity: the same message again.
	out = e.cli(t, "mirror", "replay", "--domain", "mirror.test", "--since", "1h", "--recipient", rcpt, "-i", identity, "--by", "support")
	if !strings.Contains(out, "replayed 1 of 1") || strings.Contains(out, "AGAIN") {
		t.Fatalf("replay:\n%s", out)
	}
	e.settle(t)
	got := e.deliveredTo(rcpt)
	if len(got) != 2 {
		t.Fatalf("%d copies at the customer after the replay, want 2", len(got))
	}
	replayed := got[1]
	if replayed.From != sender || strings.Join(replayed.To, ",") != rcpt {
		t.Errorf("replayed envelope: from %q to %v, want %s to %s", replayed.From, replayed.To, sender, rcpt)
	}
	if h := replayed.Header("X-Mailtower-Replayed"); len(h) != 1 || !strings.HasPrefix(h[0], "by support at ") ||
		!strings.Contains(h[0], "from mirror "+items[0].ID) {
		t.Errorf("X-Mailtower-Replayed = %q", h)
	}
	// Byte-identical apart from the added header: drop the Received field
	// Postfix adds on each delivery (the first), the replay's header and
	// the gateway's Received field of the original transaction, which the
	// first copy has as Postfix's own.
	onlyContent := func(i int, name string) bool {
		return i == 0 || strings.EqualFold(name, "X-Mailtower-Replayed")
	}
	again := withoutFields(replayed.Data, onlyContent)
	again = withoutFields(again, func(i int, _ string) bool { return i == 0 }) // the gateway's trace field
	if want := withoutFields(first.Data, func(i int, _ string) bool { return i == 0 }); !bytes.Equal(again, want) {
		t.Fatalf("replayed copy differs from the first delivery:\n%s\n---\n%s", again, want)
	}

	// Twice is allowed, and says so.
	out = e.cli(t, "mirror", "replay", "--domain", "mirror.test", "--since", "1h", "-i", identity)
	if !strings.Contains(out, "replayed 1 of 1") || !strings.Contains(out, "AGAIN: replayed 1 time(s) before") {
		t.Fatalf("second replay:\n%s", out)
	}
	e.settle(t)
	if n := len(e.deliveredTo(rcpt)); n != 3 {
		t.Fatalf("%d copies after the second replay, want 3", n)
	}
	if it := e.mirrorList(t); len(it) != 1 || len(it[0].Replays) != 2 || it[0].Replays[0].By != "support" {
		t.Fatalf("replays recorded: %+v", it)
	}

	// Purge: kept at 13 days, gone after 14 (the domain's days).
	at := func(d time.Duration) string { return items[0].Received.Add(d).UTC().Format(time.RFC3339) }
	if out := e.cli(t, "mirror", "purge", "--now", at(13*24*time.Hour)); !strings.Contains(out, "removed 0 expired") {
		t.Fatalf("purge at +13d:\n%s", out)
	}
	if out := e.cli(t, "mirror", "purge", "--now", at(14*24*time.Hour+time.Minute)); !strings.Contains(out, "removed 1 expired") {
		t.Fatalf("purge at +14d:\n%s", out)
	}
	if n := len(e.mirrorList(t)); n != 0 {
		t.Fatalf("%d entries after the purge", n)
	}
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Fatalf("the purged file is still there: %v", err)
	}
}
