package bayes

import (
	"context"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/mailtower/mailtower/store/storetest"
)

func openTestStore(t *testing.T) *Store { return openTestStoreTB(t) }

func openTestStoreTB(t testing.TB) *Store {
	t.Helper()
	db := storetest.Open(t)
	st, err := Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.RefreshInterval = 0
	return st
}

func doc(b byte, toks ...uint64) Doc {
	var d Doc
	d.Digest[0] = b
	d.Tokens = toks
	return d
}

// state is what the tests compare after each step: totals and counts.
type state struct {
	nspam, nham int
	counts      map[uint64]Counts
}

func readState(t *testing.T, st *Store) state {
	t.Helper()
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return state{snap.NSpam, snap.NHam, snap.tokens}
}

func TestLearnIdempotentMoveForget(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	a, b := doc(1, 10, 11), doc(2, 11, 12)
	steps := []struct {
		name  string
		do    func() ([]Outcome, error)
		out   []Outcome
		state state
	}{
		{"learn two spam", func() ([]Outcome, error) { return st.Learn(ctx, ClassSpam, []Doc{a, b}, false) },
			[]Outcome{Learned, Learned}, state{2, 0, map[uint64]Counts{10: {1, 0}, 11: {2, 0}, 12: {1, 0}}}},
		{"again: known, unchanged", func() ([]Outcome, error) { return st.Learn(ctx, ClassSpam, []Doc{a}, false) },
			[]Outcome{Known}, state{2, 0, map[uint64]Counts{10: {1, 0}, 11: {2, 0}, 12: {1, 0}}}},
		{"same doc twice in one batch counts once", func() ([]Outcome, error) { return st.Learn(ctx, ClassSpam, []Doc{b, b}, false) },
			[]Outcome{Known, Known}, state{2, 0, map[uint64]Counts{10: {1, 0}, 11: {2, 0}, 12: {1, 0}}}},
		{"as ham: moved", func() ([]Outcome, error) { return st.Learn(ctx, ClassHam, []Doc{a}, false) },
			[]Outcome{Moved}, state{1, 1, map[uint64]Counts{10: {0, 1}, 11: {1, 1}, 12: {1, 0}}}},
		{"forget", func() ([]Outcome, error) { return st.Forget(ctx, []Digest{a.Digest, doc(9).Digest}) },
			[]Outcome{Forgotten, NotFound}, state{1, 0, map[uint64]Counts{11: {1, 0}, 12: {1, 0}}}},
		{"forget the last: empty store", func() ([]Outcome, error) { return st.Forget(ctx, []Digest{b.Digest}) },
			[]Outcome{Forgotten}, state{0, 0, map[uint64]Counts{}}},
	}
	for _, s := range steps {
		out, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !reflect.DeepEqual(out, s.out) {
			t.Errorf("%s: outcomes %v, want %v", s.name, out, s.out)
		}
		if got := readState(t, st); !reflect.DeepEqual(got, s.state) {
			t.Errorf("%s: state %+v, want %+v", s.name, got, s.state)
		}
	}
}

func TestRememberedSignature(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	a := doc(1, 10)
	if _, err := st.Learn(ctx, ClassSpam, []Doc{a}, true); err == nil {
		t.Fatal("remembering spam must fail")
	}
	if _, err := st.Learn(ctx, ClassHam, []Doc{a}, false); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want bool) {
		t.Helper()
		known, err := st.Known(ctx, a.Digest)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := st.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if known != want || snap.Remembered(a.Digest) != want {
			t.Errorf("%s: Known %v, snapshot %v; want %v", step, known, snap.Remembered(a.Digest), want)
		}
	}
	check("plain ham", false)
	out, err := st.Learn(ctx, ClassHam, []Doc{a}, true)
	if err != nil || out[0] != Known {
		t.Fatalf("remember known ham: %v %v", out, err)
	}
	check("remembered", true)
	if _, err := st.Learn(ctx, ClassSpam, []Doc{a}, false); err != nil {
		t.Fatal(err)
	}
	check("re-learned as spam", false)
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	if _, err := st.Learn(ctx, ClassSpam, []Doc{doc(1, 1, 2), doc(2, 2)}, false); err != nil {
		t.Fatal(err)
	}
	n, err := st.Prune(ctx, st.now().Add(1e9), 1)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 (token 1 seen once)", n, err)
	}
	if got := readState(t, st).counts; !reflect.DeepEqual(got, map[uint64]Counts{2: {2, 0}}) {
		t.Errorf("after prune: %v", got)
	}
}

func TestSnapshotStaleWhileReloading(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	st.RefreshInterval = time.Nanosecond // accept staleness: reload in the background
	if _, err := st.Learn(ctx, ClassSpam, []Doc{doc(1, 1)}, false); err != nil {
		t.Fatal(err)
	}
	first, err := st.Snapshot(ctx) // the first load is synchronous
	if err != nil || first.NSpam != 1 {
		t.Fatalf("first snapshot: %+v, %v", first, err)
	}
	if _, err := st.Learn(ctx, ClassSpam, []Doc{doc(2, 2)}, false); err != nil {
		t.Fatal(err)
	}
	stale, err := st.Snapshot(ctx)
	if err != nil || stale != first {
		t.Fatalf("changed store: got %+v, want the previous snapshot while reloading", stale)
	}
	for st.loading.Load() {
		runtime.Gosched()
	}
	fresh, err := st.Snapshot(ctx)
	if err != nil || fresh.NSpam != 2 || fresh.Counts(2) != (Counts{Spam: 1}) {
		t.Fatalf("after reload: %+v, %v", fresh, err)
	}
}

// Leaving a learned message out gives what a store without it says: a
// token only that message had no longer counts.
func TestClassifyLeavingOut(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	var spam, ham []Doc
	for i := 0; i < 20; i++ {
		spam = append(spam, doc(byte(i), 1, 2, uint64(100+i)))
		ham = append(ham, doc(byte(100+i), 3, 4, uint64(200+i)))
	}
	if _, err := st.Learn(ctx, ClassSpam, spam, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Learn(ctx, ClassHam, ham, false); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A spam-learned message whose only other token is ham-ish: in
	// sample its own unique token (100) says spam; left out, it is gone.
	toks := []uint64{100, 3}
	in := snap.Classify(DefaultParams, toks)
	out := snap.ClassifyLeavingOut(DefaultParams, toks, ClassSpam)
	if in.Used != 2 || out.Used != 1 || !(out.Prob < in.Prob) {
		t.Errorf("in sample %+v, left out %+v: want the own token dropped and a lower P", in, out)
	}
}
