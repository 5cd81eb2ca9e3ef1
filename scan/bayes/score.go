package bayes

import "fmt"

// Band maps a range of spam probabilities to points on SpamAssassin's
// scale, named like SpamAssassin's BAYES_xx rules.
type Band struct {
	// Rule is the finding's rule name.
	Rule string
	// Min is the lowest probability in the band (inclusive).
	Min float64
	// Score is the points the band adds; negative bands pull a message
	// towards clean when other engines scored it.
	Score float64
}

// Bands are the probability bands, highest first. Unlike SpamAssassin's
// own BAYES scores (at most 3.5, because SA has hundreds of other rules),
// these let the built-in engine decide alone when no spamd or rspamd is
// configured, with each level's threshold (settings.SpamThresholds
// {12, 8, 5, 3.5, 2.5}) falling at a band edge:
//
//	level 1 (12)  P >= 0.9999      level 4 (3.5)  P >= 0.80
//	level 2 (8)   P >= 0.99        level 5 (2.5)  P >= 0.60
//	level 3 (5)   P >= 0.90
//
// Level 3's edge is SpamBayes' default spam cut-off (0.90); below it, the
// chi-square combination's "unsure" region (0.20 to 0.90) adds weaker
// evidence that only the strict levels act on alone, or that sums with
// spamd's score. BAYES_00 and BAYES_05 subtract as SpamAssassin's do.
var Bands = []Band{
	{"BAYES_9999", 0.9999, 12.5},
	{"BAYES_99", 0.99, 8.5},
	{"BAYES_90", 0.90, 5.5},
	{"BAYES_80", 0.80, 4.0},
	{"BAYES_60", 0.60, 3.0},
	{"BAYES_50", 0.40, 0.8},
	{"BAYES_40", 0.20, 0},
	{"BAYES_20", 0.05, 0},
	{"BAYES_05", 0.01, -0.5},
	{"BAYES_00", 0, -1.9},
}

// BandFor returns the band holding probability p.
func BandFor(p float64) Band {
	for _, b := range Bands {
		if p >= b.Min {
			return b
		}
	}
	return Bands[len(Bands)-1]
}

// reason is the finding's human text.
func reason(r Result) string {
	return fmt.Sprintf("bayes spam probability %.4f from %d tokens", r.Prob, r.Used)
}
