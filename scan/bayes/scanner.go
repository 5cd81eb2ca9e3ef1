package bayes

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/mailtower/mailtower/scan"
)

// Minimum learned messages before the classifier reports anything: with
// fewer, its probabilities say more about the sample than about mail.
const (
	DefaultMinSpam = 200
	DefaultMinHam  = 200
)

// SignatureRule is the rule of the finding for a message released with
// "remember" before; its score outweighs any spam evidence.
const (
	SignatureRule  = "MAILTOWER_RELEASED_SIGNATURE"
	SignatureScore = -100.0
)

// Scanner is the built-in engine as a scan.Scanner named "bayes".
type Scanner struct {
	store   *Store
	tok     *Tokenizer
	params  Params
	minSpam int
	minHam  int
	log     *slog.Logger
	// warnedGen is the store generation last warned about as untrained,
	// so that the log gets one line per change, not one per message.
	warnedGen atomic.Int64
}

var _ scan.Scanner = (*Scanner)(nil)

// ScannerOptions configure a Scanner; zero fields take the defaults.
type ScannerOptions struct {
	// Params are the classifier's parameters (DefaultParams).
	Params Params
	// MinSpam and MinHam are the learned messages needed before the
	// scanner reports anything (DefaultMinSpam, DefaultMinHam).
	MinSpam, MinHam int
	// Log receives the "too few messages learned" note (slog.Default).
	Log *slog.Logger
}

// NewScanner returns the scanner over st.
func NewScanner(st *Store, o ScannerOptions) *Scanner {
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	if o.MinSpam <= 0 {
		o.MinSpam = DefaultMinSpam
	}
	if o.MinHam <= 0 {
		o.MinHam = DefaultMinHam
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Scanner{store: st, tok: st.tok, params: o.Params, minSpam: o.MinSpam, minHam: o.MinHam, log: o.Log}
	s.warnedGen.Store(-1)
	return s
}

// Name implements scan.Scanner.
func (s *Scanner) Name() string { return "bayes" }

// Scan implements scan.Scanner: a spam finding on the band of the
// message's probability (see Bands), or a SignatureRule finding for a
// remembered message. A store that cannot be read is an error (tempfail).
func (s *Scanner) Scan(ctx context.Context, msg *scan.Message) ([]scan.Finding, error) {
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	f, err := s.tok.TokenizeMessage(msg)
	if err != nil {
		return nil, fmt.Errorf("bayes: tokenize: %w", err)
	}
	return s.judge(snap, f), nil
}

func (s *Scanner) judge(snap *Snapshot, f *Features) []scan.Finding {
	var out []scan.Finding
	if snap.Remembered(f.Digest) {
		out = append(out, scan.Finding{Scanner: s.Name(), Category: scan.Spam, Rule: SignatureRule,
			Score: SignatureScore, Reason: "released before as not spam (digest " + f.Digest.String()[:16] + ")"})
	}
	if snap.NSpam < s.minSpam || snap.NHam < s.minHam {
		if s.warnedGen.Swap(snap.Generation) != snap.Generation {
			s.log.Info("bayes not used: too few messages learned", "scanner", s.Name(),
				"spam", snap.NSpam, "ham", snap.NHam, "need_spam", s.minSpam, "need_ham", s.minHam)
		}
		return out
	}
	r := snap.Classify(s.params, f.Tokens)
	// Every band is reported, the neutral ones too: the combiner reads
	// the probability (Value) as evidence either way.
	b := BandFor(r.Prob)
	return append(out, scan.Finding{Scanner: s.Name(), Category: scan.Spam, Rule: b.Rule, Score: b.Score, Value: r.Prob, Reason: reason(r)})
}
