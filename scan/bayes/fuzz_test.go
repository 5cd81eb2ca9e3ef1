package bayes

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzTokenize feeds arbitrary bytes to the tokenizer: it must never
// fail or panic on message content, must stay within its token bound,
// and must be deterministic (the same bytes give the same digest and
// tokens, which idempotent learning relies on). Seeds are in
// testdata/fuzz/FuzzTokenize; run with
//
//	go test -run XXX -fuzz FuzzTokenize -fuzztime 90s ./scan/bayes
func FuzzTokenize(f *testing.F) {
	tok := NewTokenizer(Limits{MaxTokens: 400, MaxText: 64 << 10})
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := tok.Tokenize(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("Tokenize failed on content: %v", err)
		}
		if len(a.Tokens) > 400 {
			t.Fatalf("%d tokens, bound is 400", len(a.Tokens))
		}
		b, err := tok.Tokenize(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(a.Tokens)
		slices.Sort(b.Tokens)
		if a.Digest != b.Digest || !slices.Equal(a.Tokens, b.Tokens) {
			t.Fatal("tokenizing the same bytes twice differs")
		}
	})
}
