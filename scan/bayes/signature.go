package bayes

import (
	"context"
	"fmt"
	"io"
)

// LearnHam is the hook for "release and remember" (quarantine release
// --remember): it learns the message as ham and records its digest as a
// not-spam signature, so that the same content sent again, by anyone, gets
// the MAILTOWER_RELEASED_SIGNATURE finding (-100 points) instead of being
// caught. Calling it again for the same message changes nothing; a
// message learned as spam before is moved to ham.
//
// The signature is dropped when the message is later learned as spam or
// forgotten. Known(ctx, digest) tells whether a digest is remembered.
func (s *Store) LearnHam(ctx context.Context, raw io.Reader) (Digest, Outcome, error) {
	f, err := s.tok.Tokenize(raw)
	if err != nil {
		return Digest{}, "", fmt.Errorf("bayes: learn ham: %w", err)
	}
	out, err := s.Learn(ctx, ClassHam, []Doc{{Digest: f.Digest, Tokens: f.Tokens}}, true)
	if err != nil {
		return f.Digest, "", err
	}
	return f.Digest, out[0], nil
}
