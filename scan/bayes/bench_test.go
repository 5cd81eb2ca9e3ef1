package bayes

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
)

// Speed is reported as ratios against BenchmarkWalk, the MIME walk every
// engine pays anyway (house rule: no absolute timing assertions):
//
//	go test -bench . -benchmem ./scan/bayes
func benchMessages(b *testing.B) [][]byte {
	b.Helper()
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		b.Fatalf("no testdata: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

func BenchmarkWalk(b *testing.B) {
	msgs := benchMessages(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mimewalk.Walk(bytes.NewReader(msgs[i%len(msgs)]), mimewalk.Limits{})
	}
}

func BenchmarkTokenize(b *testing.B) {
	msgs := benchMessages(b)
	tok := NewTokenizer(DefaultLimits)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tok.Tokenize(bytes.NewReader(msgs[i%len(msgs)])); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStore is a store trained on the synthetic corpus.
func benchStore(b *testing.B) *Store {
	b.Helper()
	st := openTestStoreTB(b)
	learnSyntheticTB(b, st, 300)
	return st
}

func BenchmarkClassify(b *testing.B) {
	msgs := benchMessages(b)
	st := benchStore(b)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var feats []*Features
	for _, m := range msgs {
		f, _ := st.tok.Tokenize(bytes.NewReader(m))
		feats = append(feats, f)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		snap.Classify(DefaultParams, feats[i%len(feats)].Tokens)
	}
}

func BenchmarkScan(b *testing.B) {
	msgs := benchMessages(b)
	st := benchStore(b)
	st.RefreshInterval = 1e9
	s := NewScanner(st, ScannerOptions{})
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			raw := msgs[i%len(msgs)]
			i++
			if _, err := s.Scan(ctx, scan.NewMessage(scan.Envelope{}, bytes.NewReader(raw), int64(len(raw)))); err != nil {
				b.Error(err)
			}
		}
	})
}
