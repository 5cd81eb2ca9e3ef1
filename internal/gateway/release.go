package gateway

import (
	"context"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan/bayes"
)

// Releaser releases quarantined messages, for `mailtower quarantine
// release` and the portal alike: the antivirus rescan, re-injection
// through Postfix's listener without milter, and what a release teaches
// (the message learned as not spam, or with remember an allow rule).
type Releaser struct {
	a       *App
	q       *quarantine.Store
	snd     *reinject.Client
	rescan  quarantine.Rescanner
	learner *ReleaseLearner
}

// NewReleaser releases from q with a's configuration of the moment.
func NewReleaser(ctx context.Context, a *App, q *quarantine.Store) (*Releaser, error) {
	rescan, err := Rescanner(a.Config)
	if err != nil {
		return nil, err
	}
	learner, err := NewReleaseLearner(ctx, a)
	if err != nil {
		return nil, err
	}
	return &Releaser{a: a, q: q, snd: ReinjectClient(a.Config), rescan: rescan, learner: learner}, nil
}

// Release is what releasing one message did.
type Release struct {
	// Released is what the quarantine released and skipped (set also
	// when the release failed).
	Released quarantine.Released
	// Remembered is set when remember was asked and the release succeeded.
	Remembered *quarantine.Remembered
	// Learned says what a release without remember taught the engines
	// ("" = nothing: not spam, or bayes off).
	Learned string
}

// AfterReleaseError is a failure after Postfix accepted the released
// message: the release itself stands.
type AfterReleaseError struct {
	Step string // "learning it as not spam", "remembering"
	Err  error
}

func (e *AfterReleaseError) Error() string {
	return "released, but " + e.Step + " failed: " + e.Err.Error()
}
func (e *AfterReleaseError) Unwrap() error { return e.Err }

// Release releases message id (opt.Rescan is the releaser's). With
// remember it also allows the sender for each released recipient and
// learns the message as not spam; without, a message quarantined as spam
// is learned as not spam. An error after the release is an
// *AfterReleaseError.
func (r *Releaser) Release(ctx context.Context, id string, opt quarantine.ReleaseOptions, remember bool) (Release, error) {
	opt.Rescan = r.rescan
	rel, err := r.q.Release(ctx, r.snd, id, opt)
	out := Release{Released: rel}
	if err != nil {
		return out, err
	}
	ham := r.learner.ForRelease(rel, remember)
	if !remember {
		// A release says "this was not spam": the engines learn it too.
		note, err := learnReleased(ctx, r.q, ham, rel)
		out.Learned = note
		if err != nil {
			return out, &AfterReleaseError{Step: "learning it as not spam", Err: err}
		}
		return out, nil
	}
	var hl quarantine.HamLearner
	if ham != nil {
		hl = ham
	}
	rem, err := r.q.Remember(ctx, r.a.Settings, hl, rel)
	if rem.Learned && ham.Outcome == bayes.Capped {
		rem.Learned = false
		rem.Notes = append(rem.Notes, learnNote(ham))
	}
	out.Remembered = &rem
	if err != nil {
		return out, &AfterReleaseError{Step: "remembering", Err: err}
	}
	return out, nil
}
