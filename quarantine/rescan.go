package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mailtower/mailtower/scan"
)

// Rescanner scans a stored message again with today's antivirus engines
// before it is released: virus is the name of what they found ("" when
// clean); err means it could not be scanned.
type Rescanner func(ctx context.Context, raw io.Reader) (virus string, err error)

// ErrRescan is a release refused because the message could not be
// scanned again.
var ErrRescan = errors.New("it could not be scanned again before release: check the antivirus engines, or release it unscanned with --force")

// rescan runs opt.Rescan on the message file f (rewound afterwards). A
// virus found now turns every quarantined row of the message into a virus
// entry with the new reason, so that list, show and retention tell the
// truth, and refuses the release unless opt.Force. A scan failure refuses
// it too, unless opt.Force: nobody could say it is harmless. It returns
// what the release should report ("" when there is nothing to say).
func (s *Store) rescan(ctx context.Context, id string, f io.ReadSeeker, opt ReleaseOptions) (string, error) {
	if opt.Rescan == nil {
		return "", nil
	}
	virus, err := opt.Rescan(ctx, f)
	if _, serr := f.Seek(0, io.SeekStart); serr != nil {
		return "", fmt.Errorf("release %s: rewind after rescan: %w", id, serr)
	}
	if err != nil {
		if opt.Force {
			return "not scanned again (forced): " + err.Error(), nil
		}
		return "", fmt.Errorf("release %s: %v: %w", id, err, ErrRescan)
	}
	if virus == "" {
		return "scanned again: clean", nil
	}
	reason := "virus " + virus + " found on rescan before release"
	if err := s.markVirus(ctx, id, reason); err != nil {
		return "", fmt.Errorf("release %s: rescan found %s, recording it failed: %w", id, virus, err)
	}
	if !opt.Force {
		return "", fmt.Errorf("release %s: %s: %w", id, reason, ErrVirus)
	}
	return reason + " (released with --force)", nil
}

// markVirus makes every quarantined row of message id a virus entry;
// rows that already are keep their original reason.
func (s *Store) markVirus(ctx context.Context, id, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE quarantine_items SET category = ?, reason = ?
		WHERE message_id = ? AND state IN ('quarantined', 'releasing') AND category != ?`,
		string(scan.Virus), reason, id, string(scan.Virus))
	return err
}

// VirusNames returns the names of the virus findings, comma-separated:
// the verdict of a rescan.
func VirusNames(findings []scan.Finding) string {
	var names []string
	for _, f := range findings {
		if f.Category == scan.Virus {
			names = append(names, f.Rule)
		}
	}
	return strings.Join(names, ", ")
}
