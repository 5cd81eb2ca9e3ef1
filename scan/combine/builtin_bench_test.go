package combine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/mailtower/mailtower/internal/evalcorpus"
	"github.com/mailtower/mailtower/mimewalk"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/scan/bayes"
	"github.com/mailtower/mailtower/scan/heuristics"
	"github.com/mailtower/mailtower/store"
)

// BenchmarkBuiltin is the daemon's built-in spam path on one parsed
// message: the bayes engine and the heuristics on one scan.Message (one
// shared MIME walk), then the combiner, as scan.Run and scan.Decide do.
// It reports msg/s per kind of mail of the evaluation corpus (spam-1 and
// easy-ham-1 of the SpamAssassin corpus, as scripts/eval.sh downloads it;
// MAILTOWER_CORPUS names its data directory), and skips without it:
//
//	go test -run '^$' -bench Builtin -benchmem ./scan/combine
//
// The store is trained on the same corpus (tokens as in production).
// The kinds: plain (no HTML part), html (an HTML part, under 20 KB),
// large-html (an HTML part, 20 KB or more) and attachment (a part with a
// file name or of a non-text type, not multipart).
func BenchmarkBuiltin(b *testing.B) {
	kinds := corpusKinds(b)
	ctx := context.Background()
	st, snapTokens := trainedStore(b, kinds)
	// The model's memory: the heap a loaded snapshot holds.
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	snap, err := st.Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.Logf("model: %d tokens learned from %d messages, %.1f MiB of heap loaded", snapTokens, snap.NSpam+snap.NHam,
		float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20))
	bs := bayes.NewScanner(st, bayes.ScannerOptions{})
	hs := heuristics.New(heuristics.Options{Walk: mimewalk.Limits{}})
	m := DefaultModel()
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, kind := range names {
		msgs := kinds[kind]
		var size int
		for _, raw := range msgs {
			size += len(raw)
		}
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size / len(msgs)))
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				raw := msgs[i%len(msgs)]
				msg := scan.NewMessage(scan.Envelope{}, bytes.NewReader(raw), int64(len(raw)))
				fb, err := bs.Scan(ctx, msg)
				if err != nil {
					b.Fatal(err)
				}
				fh, err := hs.Scan(ctx, msg)
				if err != nil {
					b.Fatal(err)
				}
				m.Combine(append(fb, fh...))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
			// On a shared machine the wall clock moves with others' load;
			// the process's CPU time (GC included) per message does not.
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "msg/cpu-s")
			b.ReportMetric(float64(len(msgs)), "messages")
		})
	}
	runtime.KeepAlive(snap)
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// corpusKinds reads spam-1 and easy-ham-1 and sorts them into kinds.
func corpusKinds(b *testing.B) map[string][][]byte {
	b.Helper()
	dir := evalcorpus.Dir()
	kinds := map[string][][]byte{}
	for _, group := range evalcorpus.Groups {
		files, _ := filepath.Glob(filepath.Join(dir, group, "*.txt"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			k := evalcorpus.Kind(raw)
			kinds[k] = append(kinds[k], raw)
		}
	}
	if len(kinds) == 0 {
		b.Skipf("no corpus in %s (run `make eval` once, or set MAILTOWER_CORPUS)", dir)
	}
	return kinds
}

// trainedStore learns every message of kinds (spam-1 as spam, the rest
// as ham does not matter for speed: the classifier's work is per token).
func trainedStore(b *testing.B, kinds map[string][][]byte) (*bayes.Store, int) {
	b.Helper()
	db, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	tok := bayes.NewTokenizer(bayes.DefaultLimits)
	st, err := bayes.Open(ctx, db, tok)
	if err != nil {
		b.Fatal(err)
	}
	var docs [2][]bayes.Doc
	n := 0
	for _, msgs := range kinds {
		for _, raw := range msgs {
			f, err := tok.Tokenize(bytes.NewReader(raw))
			if err != nil {
				b.Fatal(err)
			}
			docs[n%2] = append(docs[n%2], bayes.Doc{Digest: f.Digest, Tokens: f.Tokens})
			n++
		}
	}
	for i, class := range []bayes.Class{bayes.ClassSpam, bayes.ClassHam} {
		if _, err := st.Learn(ctx, class, docs[i], false); err != nil {
			b.Fatal(err)
		}
	}
	st.RefreshInterval = 1 << 62
	s, err := st.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return st, s.Tokens
}
