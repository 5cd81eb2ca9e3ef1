//go:build integration

package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
)

// quarantineJSON is `quarantine list --json` with the fields these tests
// use (the id as a string: it is one).
type quarantineJSON struct {
	ID        string    `json:"id"`
	Category  string    `json:"category"`
	Recipient string    `json:"recipient"`
	Sender    string    `json:"sender"`
	Subject   string    `json:"subject"`
	State     string    `json:"state"`
	Received  time.Time `json:"received"`
	Expires   time.Time `json:"expires"`
}

func (e *Env) qlist(t *testing.T, args ...string) []quarantineJSON {
	t.Helper()
	out, err := e.Mailtower.CLI(append([]string{"quarantine", "list", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var items []quarantineJSON
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("quarantine list --json: %v\n%s", err, out)
	}
	return items
}

// deliveredWithSubject returns the sink's messages to rcpt whose Subject is subject.
func (e *Env) deliveredWithSubject(rcpt, subject string) []Received {
	var out []Received
	for _, m := range e.deliveredTo(rcpt) {
		if s := m.Header("Subject"); len(s) == 1 && s[0] == subject {
			out = append(out, m)
		}
	}
	return out
}

// TestQuarantineReleaseLifecycle walks the admin's path on a real gateway
// (Postfix + mailtower serve + spamd + clamd): find a message by a subject
// word, release it (original envelope, once), release and remember (the
// sender's next spam is delivered, its virus still quarantined), delete
// (release refused), and purge with a controlled clock (exactly what
// expired goes).
func TestQuarantineReleaseLifecycle(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.addDomain(t, "clean.test")
	e.addDomain(t, "quarantine.test")
	const sender, rcpt = "alice@sender.example", "carol@quarantine.test"
	spam := func(subject string) []byte {
		return message([]string{"From: <" + sender + ">", "To: <" + rcpt + ">", "Subject: " + subject},
			"Dear Carol,\n"+gtube+"\n")
	}

	// Two messages quarantined; one is found by a word of its subject.
	e.sendOK(t, sender, []string{rcpt}, spam("Pineapple shipment 17"))
	e.sendOK(t, sender, []string{rcpt}, spam("Weekly figures"))
	e.settle(t)
	if n := len(e.qlist(t, "--recipient", rcpt)); n != 2 {
		t.Fatalf("%d quarantined for %s, want 2", n, rcpt)
	}
	found := e.qlist(t, "--search", "pineapple")
	if len(found) != 1 || found[0].Subject != "Pineapple shipment 17" || found[0].Category != "spam" {
		t.Fatalf("--search pineapple: %+v", found)
	}
	first := found[0].ID
	before := e.learnStats(t)

	// Release: delivered once, with the original envelope and the header;
	// the built-in classifier learns it as not spam.
	out, err := e.Mailtower.CLI("quarantine", "release", first, "--by", "tester")
	if err != nil || !strings.Contains(out, "released to "+rcpt) || !strings.Contains(out, "learned as not spam") {
		t.Fatalf("release: %v\n%s", err, out)
	}
	if after := e.learnStats(t); after.Ham != before.Ham+1 || after.Tokens <= before.Tokens {
		t.Errorf("learner after a release: %+v, before %+v; want one more ham and more tokens", after, before)
	}
	e.settle(t)
	got := e.deliveredWithSubject(rcpt, "Pineapple shipment 17")
	if len(got) != 1 {
		t.Fatalf("%d copies of the released message at the sink, want 1", len(got))
	}
	if got[0].From != sender || strings.Join(got[0].To, ",") != rcpt {
		t.Errorf("envelope at the sink: from %q to %v, want %s to %s", got[0].From, got[0].To, sender, rcpt)
	}
	if h := got[0].Header("X-Mailtower-Released"); len(h) != 1 || !strings.HasPrefix(h[0], "by tester at ") ||
		!strings.HasSuffix(h[0], "from quarantine "+first) {
		t.Errorf("X-Mailtower-Released = %q", h)
	}
	if !strings.Contains(string(got[0].Body()), gtube) {
		t.Error("the released body differs from the quarantined one")
	}

	// Releasing again sends nothing.
	out, err = e.Mailtower.CLI("quarantine", "release", first)
	if err != nil || !strings.Contains(out, "already released by tester") {
		t.Fatalf("second release: %v\n%s", err, out)
	}
	e.settle(t)
	if n := len(e.deliveredWithSubject(rcpt, "Pineapple shipment 17")); n != 1 {
		t.Fatalf("%d copies after releasing twice, want 1", n)
	}

	// Release and remember: the next spam from alice is delivered, her virus is not.
	second := e.qlist(t, "--search", "weekly")[0].ID
	out, err = e.Mailtower.CLI("quarantine", "release", second, "--remember")
	if err != nil || !strings.Contains(out, rcpt+" now allows <"+sender+">") {
		t.Fatalf("release --remember: %v\n%s", err, out)
	}
	if after := e.learnStats(t); after.Ham != before.Ham+2 {
		t.Errorf("learner after release --remember: %+v, before %+v; want two more ham", after, before)
	}
	e.sendOK(t, sender, []string{rcpt}, spam("More figures"))
	enc := base64.StdEncoding.EncodeToString([]byte(engineEICAR))
	e.sendOK(t, sender, []string{rcpt}, message([]string{"From: <" + sender + ">", "To: <" + rcpt + ">",
		"Subject: Invoice attached", `Content-Type: multipart/mixed; boundary="b1"`},
		"--b1\nContent-Type: text/plain\n\nsee attachment\n--b1\nContent-Type: application/octet-stream; name=\"inv.com\"\n"+
			"Content-Transfer-Encoding: base64\n\n"+enc+"\n--b1--\n"))
	e.settle(t)
	if n := len(e.deliveredWithSubject(rcpt, "More figures")); n != 1 {
		t.Errorf("spam from the remembered sender: %d delivered, want 1 (allow-sender skips the spam verdict)", n)
	}
	if n := len(e.deliveredWithSubject(rcpt, "Invoice attached")); n != 0 {
		t.Errorf("a virus from the remembered sender was delivered")
	}
	virus := e.qlist(t, "--category", "virus", "--recipient", rcpt)
	if len(virus) != 1 || virus[0].Subject != "Invoice attached" {
		t.Fatalf("virus from the remembered sender not quarantined: %+v", virus)
	}

	// Delete: release is refused, with a non-zero exit.
	if out, err := e.Mailtower.CLI("quarantine", "delete", virus[0].ID); err != nil || !strings.Contains(out, "deleted for "+rcpt) {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if _, err := e.Mailtower.CLI("quarantine", "release", virus[0].ID, "--force"); err == nil ||
		!strings.Contains(err.Error(), "deleted") {
		t.Fatalf("release of a deleted message: %v, want a refusal naming the deletion", err)
	}

	// Purge with a controlled clock: count what expired at T from the
	// listing, purge at T, and find exactly the rest.
	all := e.qlist(t, "--all")
	if len(all) != 3 { // two released spam rows, one deleted virus row
		t.Fatalf("--all lists %d rows, want 3: %+v", len(all), all)
	}
	for _, days := range []int{15, 31} {
		at := all[0].Received.Add(time.Duration(days) * 24 * time.Hour)
		want := 0
		for _, it := range all {
			if !it.Expires.After(at) {
				want++
			}
		}
		now := at.Format(time.RFC3339)
		out, err := e.Mailtower.CLI("quarantine", "purge", "--now", now)
		if err != nil || !strings.Contains(out, fmt.Sprintf("removed %d expired item(s)", want)) {
			t.Fatalf("purge at +%dd: %v\n%s(want %d items)", days, err, out, want)
		}
		left := e.qlist(t, "--all")
		if len(left) != len(all)-want {
			t.Fatalf("after the purge at +%dd: %d rows left, want %d", days, len(left), len(all)-want)
		}
		for _, it := range left {
			if !it.Expires.After(at) {
				t.Errorf("expired row kept: %+v", it)
			}
		}
		all = left
	}
	if _, err := e.Mailtower.CLI("quarantine", "release", first); err == nil || !strings.Contains(err.Error(), "purged") {
		t.Fatalf("release of a purged message: %v, want a message saying it was purged", err)
	}
}

// TestQuarantineReleaseRefusedByPostfix: when Postfix refuses the
// re-injection (here: a stored message above message_size_limit, 25 MB),
// release shows Postfix's code and text, exits non-zero, and the message
// stays quarantined.
func TestQuarantineReleaseRefusedByPostfix(t *testing.T) {
	e := NewEnv(t, EnvOptions{NoMilter: true, NoClamd: true, NoSpamd: true})
	e.addDomain(t, "quarantine.test")
	db := e.openDB(t)
	q, err := quarantine.Open(context.Background(), db, e.Mailtower.DataDir, quarantine.Retention{Virus: time.Hour, Spam: time.Hour, Content: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	big := "Subject: too big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 998)+"\r\n", 27<<10)
	id, err := q.Put(context.Background(), quarantine.Entry{Envelope: scan.Envelope{Sender: "bob@sender.example"},
		Subject: "too big", Raw: strings.NewReader(big), Size: int64(len(big)),
		Recipients: []quarantine.Recipient{{Address: "dan@quarantine.test", Category: scan.Spam, Score: 9}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Mailtower.CLI("quarantine", "release", id)
	if err == nil || !strings.Contains(err.Error(), "postfix answered 552") || !strings.Contains(err.Error(), "still quarantined") {
		t.Fatalf("release refused by Postfix: %v, want its 552 and 'still quarantined'", err)
	}
	if st := e.qlist(t, "--recipient", "dan@quarantine.test"); len(st) != 1 || st[0].State != "quarantined" {
		t.Fatalf("after the refusal: %+v, want still quarantined", st)
	}
	if n := e.Sink.Count(); n != 0 {
		t.Fatalf("%d messages at the sink after a refused release", n)
	}
}

// learnedStats are `mailtower learn stats --json`'s counts.
type learnedStats struct{ Spam, Ham, Tokens int }

func (e *Env) learnStats(t *testing.T) learnedStats {
	t.Helper()
	out, err := e.Mailtower.CLI("learn", "stats", "--json")
	var s learnedStats
	if err == nil {
		err = json.Unmarshal([]byte(out), &s)
	}
	if err != nil {
		t.Fatalf("learn stats: %v\n%s", err, out)
	}
	return s
}
