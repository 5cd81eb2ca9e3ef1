package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/store"
)

// A release learns the message as ham (up to the per-sender cap), and
// the next learn fit weighs its evidence as one more ham.
func TestReleaseTeachesLearnerAndFit(t *testing.T) {
	cfg := learnConfig(t)
	dir := t.TempDir()
	writeMails(t, filepath.Join(dir, "spam"), "spam", 0, 120)
	writeMails(t, filepath.Join(dir, "ham"), "ham", 0, 120)
	for _, c := range []string{"spam", "ham"} {
		if out, err := run(t, cfg, "learn", c, filepath.Join(dir, c)); err != nil {
			t.Fatalf("learn %s: %v %s", c, err, out)
		}
	}
	ctx := context.Background()
	db, err := store.Open(filepath.Join(filepath.Dir(cfg), "data"))
	if err != nil {
		t.Fatal(err)
	}
	tok := bayes.NewTokenizer(bayes.DefaultLimits)
	st, err := bayes.Open(ctx, db, tok)
	if err != nil {
		t.Fatal(err)
	}
	l := gateway.NewReleaseLearnerOn(st, tok, mimewalk.Limits{})
	var outcomes []bayes.Outcome
	for i := 200; i < 200+bayes.DefaultFeedbackLimit.PerSender+2; i++ {
		ham := l.ForRelease(quarantine.Released{Sender: "x@one.example"}, false)
		if err := ham.LearnHam(ctx, strings.NewReader(fakeMail("spam", i))); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, ham.Outcome)
	}
	db.Close()
	if got := outcomes[len(outcomes)-1]; got != bayes.Capped || outcomes[0] != bayes.Learned {
		t.Errorf("outcomes %v: want learned first, capped after %d", outcomes, bayes.DefaultFeedbackLimit.PerSender)
	}
	out, err := run(t, cfg, "learn", "stats", "--json")
	if err != nil || !strings.Contains(out, `"ham": 130`) {
		t.Errorf("stats after releases: %v %s; want 130 ham", err, out)
	}
	out, err = run(t, cfg, "learn", "fit", "--spam", filepath.Join(dir, "spam"), "--ham", filepath.Join(dir, "ham"))
	if err != nil || !strings.Contains(out, "fitted on 120 spam, 130 ham (10 of them released from quarantine") {
		t.Errorf("learn fit: %v, %s", err, out)
	}
}
