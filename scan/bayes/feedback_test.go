package bayes

import (
	"context"
	"testing"
	"time"
)

func feat(b byte, toks ...uint64) Features {
	d := doc(b, toks...)
	return Features{Digest: d.Digest, Tokens: d.Tokens}
}

// One sender domain teaches at most PerSender messages in the window,
// whatever its local parts; another sender is not held back; after the
// window the sender may teach again; the same content counts once.
func TestLearnFeedbackCapsPerSender(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	now := time.Unix(1_700_000_000, 0)
	st.now = func() time.Time { return now }
	lim := FeedbackLimit{PerSender: 3, Window: 24 * time.Hour}
	var got []Outcome
	for i := 0; i < 5; i++ {
		o, err := st.LearnFeedback(ctx, feat(byte(i+1), 100+uint64(i), 7), Feedback{Sender: "x" + string(rune('a'+i)) + "@Spam.Example"}, lim)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o)
	}
	want := []Outcome{Learned, Learned, Learned, Capped, Capped}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("outcomes %v, want %v", got, want)
		}
	}
	if s := readState(t, st); s.nham != 3 || s.counts[7].Ham != 3 {
		t.Errorf("ham %d, token 7 ham %d; want 3, 3", s.nham, s.counts[7].Ham)
	}
	if o, _ := st.LearnFeedback(ctx, feat(9, 7), Feedback{Sender: "a@other.example"}, lim); o != Learned {
		t.Errorf("other sender: %s, want learned", o)
	}
	if o, _ := st.LearnFeedback(ctx, feat(1, 100, 7), Feedback{Sender: "a@spam.example", Remember: true}, lim); o != Known {
		t.Errorf("same content again: %s, want known (counts once)", o)
	}
	now = now.Add(25 * time.Hour)
	if o, _ := st.LearnFeedback(ctx, feat(10, 7), Feedback{Sender: "z@spam.example"}, lim); o != Learned {
		t.Errorf("after the window: %s, want learned", o)
	}
}

// The evidence kept with a release comes back for the combiner's fit
// while the message stays learned as ham, and not after it is learned as
// spam.
func TestFeedbackEvidence(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	if _, err := st.LearnFeedback(ctx, feat(1, 5), Feedback{Sender: "a@b.example", Evidence: []byte(`[1]`)}, FeedbackLimit{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LearnFeedback(ctx, feat(2, 6), Feedback{Sender: "a@b.example", Evidence: []byte(`[2]`)}, FeedbackLimit{}); err != nil {
		t.Fatal(err)
	}
	ev, err := st.FeedbackEvidence(ctx)
	if err != nil || len(ev) != 2 {
		t.Fatalf("evidence %q, %v; want 2", ev, err)
	}
	if _, err := st.Learn(ctx, ClassSpam, []Doc{doc(2, 6)}, false); err != nil {
		t.Fatal(err)
	}
	if ev, _ := st.FeedbackEvidence(ctx); len(ev) != 1 || string(ev[0]) != "[1]" {
		t.Errorf("after learning one as spam: %q, want [1]", ev)
	}
}

func TestFeedbackKey(t *testing.T) {
	for in, want := range map[string]string{"": "<>", "A@Example.ORG": "example.org", "x@y@z.test": "z.test", "local": "local"} {
		if got := FeedbackKey(in); got != want {
			t.Errorf("FeedbackKey(%q) = %q, want %q", in, got, want)
		}
	}
}
