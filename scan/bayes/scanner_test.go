package bayes

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/mailtower/mailtower/scan"
)

// synthetic builds a small corpus: spam and ham share common words and
// differ in a few class words, as real mail does.
func synthetic(class string, i int, r *rand.Rand) string {
	common := []string{"the", "and", "you", "this", "with", "have", "from", "your", "about", "will"}
	words := map[string][]string{
		"spam": {"viagra", "winner", "free", "money", "offer", "click", "casino", "cheap", "pills", "prize"},
		"ham":  {"meeting", "patch", "kernel", "review", "lunch", "report", "build", "release", "thanks", "agenda"},
	}[class]
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s%d@%s.example\nSubject: %s %s\nMessage-ID: <%d.%s@x.example>\n\n", class, i, class, words[r.Intn(10)], common[r.Intn(10)], i, class)
	for j := 0; j < 40; j++ {
		if r.Intn(3) == 0 {
			b.WriteString(words[r.Intn(10)])
		} else {
			b.WriteString(common[r.Intn(10)])
		}
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "\nunique%dx%s\n", i, class)
	return b.String()
}

func learnSynthetic(t *testing.T, st *Store, n int) { learnSyntheticTB(t, st, n) }

func learnSyntheticTB(t testing.TB, st *Store, n int) {
	t.Helper()
	r := rand.New(rand.NewSource(1))
	for _, class := range []Class{ClassSpam, ClassHam} {
		var docs []Doc
		for i := 0; i < n; i++ {
			f, err := st.tok.Tokenize(strings.NewReader(synthetic(string(class), i, r)))
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, Doc{Digest: f.Digest, Tokens: f.Tokens})
		}
		if _, err := st.Learn(context.Background(), class, docs, false); err != nil {
			t.Fatal(err)
		}
	}
}

func scanRaw(t *testing.T, s *Scanner, raw string) []scan.Finding {
	t.Helper()
	msg := scan.NewMessage(scan.Envelope{}, strings.NewReader(raw), int64(len(raw)))
	out, err := s.Scan(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScannerClassifiesSynthetic(t *testing.T) {
	st := openTestStore(t)
	learnSynthetic(t, st, 250)
	s := NewScanner(st, ScannerOptions{})
	r := rand.New(rand.NewSource(99))
	for _, c := range []struct {
		class string
		rule  string
	}{{"spam", "BAYES_9999"}, {"ham", "BAYES_00"}} {
		for i := 1000; i < 1010; i++ {
			f := scanRaw(t, s, synthetic(c.class, i, r))
			if len(f) != 1 || f[0].Rule != c.rule || f[0].Category != scan.Spam {
				t.Errorf("%s message %d: findings %+v, want one %s", c.class, i, f, c.rule)
			}
		}
	}
}

func TestScannerSilentUntilTrained(t *testing.T) {
	st := openTestStore(t)
	learnSynthetic(t, st, 50)
	s := NewScanner(st, ScannerOptions{})
	if f := scanRaw(t, s, synthetic("spam", 1000, rand.New(rand.NewSource(2)))); len(f) != 0 {
		t.Errorf("findings %+v with 50/50 learned, want none", f)
	}
}

func TestReleasedSignature(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	learnSynthetic(t, st, 250)
	s := NewScanner(st, ScannerOptions{})
	spam := synthetic("spam", 5000, rand.New(rand.NewSource(3)))
	if f := scanRaw(t, s, spam); len(f) != 1 || f[0].Score < 5 {
		t.Fatalf("before release: %+v, want spam", f)
	}
	d, out, err := st.LearnHam(ctx, strings.NewReader(spam))
	if err != nil || out != Learned {
		t.Fatalf("LearnHam: %v %v", out, err)
	}
	if known, err := st.Known(ctx, d); err != nil || !known {
		t.Fatalf("Known = %v, %v", known, err)
	}
	// The same content from another sender, through another relay.
	resent := "Received: from elsewhere by mx; Mon, 1 Jan 2024 00:00:00 +0000\n" +
		strings.Replace(spam, "From: spam5000@spam.example", "From: other@else.example", 1)
	f := scanRaw(t, s, resent)
	var total float64
	var sig bool
	for _, x := range f {
		total += x.Score
		sig = sig || x.Rule == SignatureRule
	}
	if !sig || total > 0 {
		t.Errorf("after release: %+v, want %s and a negative total", f, SignatureRule)
	}
	if _, out, _ := st.LearnHam(ctx, strings.NewReader(spam)); out != Known {
		t.Errorf("second LearnHam = %v, want %v", out, Known)
	}
}
