package bayes

import (
	"math"
	"testing"
)

func TestChi2Q(t *testing.T) {
	// Reference values of the chi-square survival function.
	cases := []struct {
		x2   float64
		v    int
		want float64
	}{
		{0, 2, 1},
		{2, 2, math.Exp(-1)},
		{4, 4, 3 * math.Exp(-2)},
		{9.488, 4, 0.05},
		{23.209, 10, 0.01},
		{1e4, 300, 0},
	}
	for _, c := range cases {
		if got := chi2Q(c.x2, c.v); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("chi2Q(%v, %d) = %v, want %v", c.x2, c.v, got, c.want)
		}
	}
}

func TestTokenProb(t *testing.T) {
	p := DefaultParams
	cases := []struct {
		name        string
		c           Counts
		nspam, nham int
		want        float64
	}{
		{"never seen is X", Counts{}, 100, 100, 0.5},
		{"untrained is X", Counts{Spam: 3}, 0, 100, 0.5},
		{"spam only, once", Counts{Spam: 1}, 100, 100, (0.45*0.5 + 1) / 1.45},
		{"ham only, many", Counts{Ham: 50}, 100, 100, (0.45 * 0.5) / 50.45},
		// Ratios, not raw counts: 10/100 spam vs 10/1000 ham.
		{"ratios", Counts{Spam: 10, Ham: 10}, 100, 1000, (0.45*0.5 + 20*(0.1/0.11)) / 20.45},
	}
	for _, c := range cases {
		if got := p.TokenProb(c.c, c.nspam, c.nham); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: TokenProb = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCombine(t *testing.T) {
	p := DefaultParams
	rep := func(f float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f
		}
		return out
	}
	cases := []struct {
		name     string
		probs    []float64
		min, max float64
		used     int
	}{
		{"no evidence", nil, 0.5, 0.5, 0},
		{"only weak tokens are ignored", rep(0.55, 40), 0.5, 0.5, 0},
		{"strong spam", rep(0.99, 20), 0.999, 1, 20},
		{"strong ham", rep(0.01, 20), 0, 0.001, 20},
		{"balanced is unsure", append(rep(0.99, 20), rep(0.01, 20)...), 0.4, 0.6, 40},
		{"max discriminators", rep(0.9, 400), 0.99, 1, 300},
	}
	for _, c := range cases {
		r := p.Combine(c.probs)
		if r.Prob < c.min || r.Prob > c.max || r.Used != c.used {
			t.Errorf("%s: Combine = %+v, want prob in [%v, %v] from %d tokens", c.name, r, c.min, c.max, c.used)
		}
	}
}

func TestCombinePrefersStrongest(t *testing.T) {
	p := Params{S: 0.45, X: 0.5, MinDev: 0.1, MaxDiscriminators: 3}
	// Three very hammy tokens outrank many mildly spammy ones.
	r := p.Combine([]float64{0.7, 0.7, 0.7, 0.7, 0.001, 0.001, 0.001})
	if r.Prob > 0.01 || r.Used != 3 {
		t.Errorf("Combine = %+v, want hammy from the 3 strongest", r)
	}
}

func TestBandFor(t *testing.T) {
	cases := []struct {
		p    float64
		rule string
	}{{0, "BAYES_00"}, {0.0099, "BAYES_00"}, {0.01, "BAYES_05"}, {0.5, "BAYES_50"}, {0.95, "BAYES_90"},
		{0.995, "BAYES_99"}, {0.9995, "BAYES_99"}, {1, "BAYES_9999"}}
	for _, c := range cases {
		if got := BandFor(c.p).Rule; got != c.rule {
			t.Errorf("BandFor(%v) = %s, want %s", c.p, got, c.rule)
		}
	}
	// Each level's threshold must fall on a band edge: the documented
	// probabilities reach it, the band below does not.
	thresholds := []float64{12, 8, 5, 3.5, 2.5}
	edges := []float64{0.9999, 0.99, 0.90, 0.80, 0.60}
	for i, th := range thresholds {
		b := BandFor(edges[i])
		below := BandFor(edges[i] - 1e-9)
		if b.Score < th || below.Score >= th {
			t.Errorf("level %d (%.1f): band %s %.1f, below %s %.1f", i+1, th, b.Rule, b.Score, below.Rule, below.Score)
		}
	}
}
