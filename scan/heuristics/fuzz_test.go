package heuristics

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailtower/mailtower/scan"
)

// FuzzScan runs every rule on arbitrary bytes: no panic, no error on
// content, and only known rules with their own scores. The tokenizer's
// seed messages (../bayes/testdata) seed it too.
//
//	go test -run XXX -fuzz FuzzScan -fuzztime 60s ./scan/heuristics
func FuzzScan(f *testing.F) {
	seeds, _ := filepath.Glob("../bayes/testdata/*.eml")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(good))
	f.Add([]byte("Content-Type: text/html\n\n<a href=\"http://a.example/\">www.b.example</a><div style=\"display:none\">x</div>"))
	s := New(Options{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		fs, err := s.Scan(context.Background(), scan.NewMessage(scan.Envelope{}, bytes.NewReader(raw), int64(len(raw))))
		if err != nil {
			t.Fatalf("Scan failed on content: %v", err)
		}
		for _, f := range fs {
			if r, ok := Rules[f.Rule]; !ok || r.Score != f.Score {
				t.Fatalf("finding %+v is not a known rule", f)
			}
		}
	})
}
