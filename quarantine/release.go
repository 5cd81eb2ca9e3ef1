package quarantine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailtower/mailtower/reinject"
	"github.com/mailtower/mailtower/scan"
)

// Release guarantee. A release moves the chosen rows quarantined ->
// releasing in one committed transaction, sends the message to Postfix,
// and moves them releasing -> released only after Postfix answered 250
// (reinject.Sender.Send returns nil only then). A refusal or an error
// moves them back to quarantined. So a message is never lost: at any
// moment either Postfix has it or the row still offers it for release.
// At worst it is delivered twice: after a crash between Postfix's 250 and
// the second commit, the rows stay "releasing"; once StaleRelease has
// passed, `release` takes them up again and sends again.
//
// Releasing a released row does nothing (it is reported as skipped), so a
// repeated command does not deliver twice.

// StaleRelease is how long a "releasing" row is taken to be owned by a
// release in progress; after it, the release is presumed to have crashed
// and may be resumed. It is well above the re-injection timeout.
const StaleRelease = 10 * time.Minute

// Errors of Release; each wraps more detail and a hint.
var (
	ErrPurged      = errors.New("its retention expired and it was purged from the quarantine")
	ErrDeleted     = errors.New("it was deleted from the quarantine and cannot be released")
	ErrVirus       = errors.New("it is a virus: release it only if you are sure it is harmless, with --force")
	ErrExpired     = errors.New("its retention expired and it is due for purge: release it anyway with --force")
	ErrFileMissing = errors.New("its message file is missing, so it cannot be released (run `mailtower quarantine purge --dry-run` to list damaged entries)")
	ErrBusy        = errors.New("another release of it is in progress: wait a minute and check with `mailtower quarantine show`")
	ErrRecipient   = errors.New("not a quarantined recipient of this message")
)

// ReleaseOptions say what to release and who asks.
type ReleaseOptions struct {
	// Recipients limits the release to these quarantined recipients; empty
	// means every quarantined recipient of the message.
	Recipients []string
	// By names who released (shown in the added header and the index).
	By string
	// Force releases viruses and expired messages.
	Force bool
	// Rescan, when set, scans the message again before it is sent
	// (rescan.go).
	Rescan Rescanner
}

// Released is what one Release did.
type Released struct {
	ID     string `json:"id"`
	Sender string `json:"sender"`
	// Recipients were handed to Postfix now.
	Recipients []string `json:"recipients"`
	// Categories of the released items, by recipient.
	Categories map[string]scan.Category `json:"categories"`
	// Skipped are recipients not sent again, with why.
	Skipped []Skip `json:"skipped,omitempty"`
	// Header is the header line added on top of the message.
	Header string `json:"header,omitempty"`
	// Rescan says what scanning it again found.
	Rescan string `json:"rescan,omitempty"`
	// QueueID is the queue id Postfix gave the released copy ("" when
	// its reply named none).
	QueueID string `json:"queue_id,omitempty"`
}

// Skip is a recipient that Release left alone.
type Skip struct {
	Recipient string `json:"recipient"`
	Reason    string `json:"reason"`
}

// Release re-injects one stored message for its quarantined recipients
// (or opt.Recipients) through snd, with the original envelope sender and
// an X-Mailtower-Released header on top; X-Mailtower-* fields in the stored
// copy (forged by the sender) are removed.
func (s *Store) Release(ctx context.Context, snd reinject.Sender, id string, opt ReleaseOptions) (Released, error) {
	id = strings.TrimSpace(id)
	out := Released{ID: id, Categories: map[string]scan.Category{}}
	if strings.ContainsAny(opt.By, "\r\n\x00") {
		return out, fmt.Errorf("release %s: --by %q: no line breaks", id, opt.By)
	}
	items, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return out, s.goneOrUnknown(ctx, id, err)
	}
	if err != nil {
		return out, fmt.Errorf("release %s: %w", id, err)
	}
	now := s.now()
	out.Sender = items[0].Sender
	targets, skipped, err := chooseTargets(items, opt, now)
	out.Skipped = skipped
	if err != nil || len(targets) == 0 {
		if err != nil {
			err = fmt.Errorf("release %s: %w", id, err)
		}
		return out, err
	}
	if items[0].FileRemoved {
		return out, fmt.Errorf("release %s: %s: %w", id, s.Path(items[0].Path), ErrFileMissing)
	}
	f, err := s.OpenMessage(ctx, items[0])
	if err != nil {
		return out, fmt.Errorf("release %s: %w", id, err)
	}
	defer f.Close()
	if out.Rescan, err = s.rescan(ctx, id, f, opt); err != nil {
		return out, err
	}
	if err := s.transition(ctx, targets, []string{StateQuarantined, StateReleasing}, StateReleasing, opt.By, now); err != nil {
		return out, fmt.Errorf("release %s: %w", id, err)
	}
	rcpts := make([]string, len(targets))
	for i, it := range targets {
		rcpts[i] = it.Recipient
		out.Categories[it.Recipient] = it.Category
	}
	out.Header = releasedHeader(opt.By, now, id)
	// The stored copy is the message as the sender wrote it: any
	// X-Mailtower-* field in it is forged. Only the release's own is true.
	name, value, _ := strings.Cut(out.Header, ": ")
	msg, err := reinject.Rewrite(f, reinject.HeaderEdit{Top: []reinject.Field{{Name: name, Value: value}}})
	var env reinject.Envelope
	if err == nil {
		env, err = s.releaseEnvelope(ctx, id, out.Sender, targets)
	}
	if err == nil {
		out.QueueID, err = reinject.DeliverQueued(ctx, snd, env, msg)
	}
	if err != nil {
		// Nothing was accepted (Send returns nil only after the 250):
		// offer the rows again.
		if uerr := s.transition(context.WithoutCancel(ctx), targets, []string{StateReleasing}, StateQuarantined, "", now); uerr != nil {
			return out, fmt.Errorf("release %s: %w (and putting it back failed: %v; it shows as releasing and can be released again after %s)",
				id, err, uerr, StaleRelease)
		}
		return out, fmt.Errorf("release %s: not delivered, still quarantined: %w", id, err)
	}
	if err := s.transition(context.WithoutCancel(ctx), targets, []string{StateReleasing}, StateReleased, opt.By, s.now()); err != nil {
		return out, fmt.Errorf("release %s: Postfix accepted it, but marking it released failed: %w "+
			"(it shows as releasing; releasing it again after %s would deliver a second copy)", id, err, StaleRelease)
	}
	out.Recipients = rcpts
	if s.released != nil {
		s.released(context.WithoutCancel(ctx), out, opt.By, now)
	}
	return out, nil
}

// SetReleaseHook makes f hear of every release after it is marked
// released (the mail history links the copy's queue id); f must not fail
// the release, it is told of one that happened.
func (s *Store) SetReleaseHook(f func(ctx context.Context, r Released, by string, at time.Time)) {
	s.released = f
}

// releaseEnvelope is the original envelope for the targets, with the DSN
// parameters the sender gave (RET, ENVID, NOTIFY, ORCPT).
func (s *Store) releaseEnvelope(ctx context.Context, id, sender string, targets []Item) (reinject.Envelope, error) {
	env := reinject.Envelope{From: sender}
	err := s.db.QueryRowContext(ctx, `SELECT dsn_ret, dsn_envid FROM quarantine_messages WHERE id = ?`, id).Scan(&env.RET, &env.EnvID)
	if err != nil {
		return env, fmt.Errorf("DSN parameters: %w", err)
	}
	for _, it := range targets {
		r := reinject.Rcpt{Addr: it.Recipient}
		err := s.db.QueryRowContext(ctx, `SELECT dsn_notify, dsn_orcpt FROM quarantine_items WHERE id = ?`, it.Item).Scan(&r.Notify, &r.ORcpt)
		if err != nil {
			return env, fmt.Errorf("DSN parameters of %s: %w", it.Recipient, err)
		}
		env.To = append(env.To, r)
	}
	return env, nil
}

// chooseTargets picks the items to send and the ones to skip, or refuses.
func chooseTargets(items []Item, opt ReleaseOptions, now time.Time) ([]Item, []Skip, error) {
	chosen := items
	if len(opt.Recipients) > 0 {
		chosen = nil
		for _, r := range opt.Recipients {
			r = recipientKey(r)
			var found bool
			for _, it := range items {
				if it.Recipient == r {
					chosen, found = append(chosen, it), true
				}
			}
			if !found {
				var all []string
				for _, it := range items {
					all = append(all, it.Recipient)
				}
				return nil, nil, fmt.Errorf("recipient %s: %w (its recipients: %s)", r, ErrRecipient, strings.Join(all, ", "))
			}
		}
	}
	var targets []Item
	var skipped []Skip
	for _, it := range chosen {
		switch {
		case it.State == StateReleased:
			skipped = append(skipped, Skip{it.Recipient, "already released" + it.History()})
		case it.State == StateDeleted:
			return nil, skipped, fmt.Errorf("recipient %s: %w (deleted%s)", it.Recipient, ErrDeleted, it.History())
		case it.State == StateReleasing && it.StateChanged != nil && now.Sub(*it.StateChanged) < StaleRelease:
			return nil, skipped, fmt.Errorf("recipient %s: %w (started%s)", it.Recipient, ErrBusy, it.History())
		case it.Category == scan.Virus && !opt.Force:
			return nil, skipped, fmt.Errorf("recipient %s: %s: %w", it.Recipient, it.Reason, ErrVirus)
		case !now.Before(it.Expires) && !opt.Force:
			return nil, skipped, fmt.Errorf("recipient %s: expired %s: %w", it.Recipient, it.Expires.Format(time.RFC3339), ErrExpired)
		default:
			targets = append(targets, it)
		}
	}
	return targets, skipped, nil
}

// History says who last changed the item's state and when (" by root
// at 2026-11-22T06:00:00Z"), or "".
func (it Item) History() string {
	s := ""
	if it.StateBy != "" {
		s += " by " + it.StateBy
	}
	if it.StateChanged != nil {
		s += " at " + it.StateChanged.Format(time.RFC3339)
	}
	return s
}

// transition moves items from one of the states in from to state to, all
// or none, in one transaction. A "releasing" row moves only when stale or
// when it is the release's own second step (to != StateReleasing).
func (s *Store) transition(ctx context.Context, items []Item, from []string, to, by string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stale := now.Add(-StaleRelease).Unix()
	for _, it := range items {
		q := `UPDATE quarantine_items SET state = ?, state_changed = ?, state_by = COALESCE(NULLIF(?, ''), state_by)
			WHERE id = ? AND state IN (?` + strings.Repeat(", ?", len(from)-1) + `)`
		args := append([]any{to, now.Unix(), by, it.Item}, toAny(from)...)
		if to == StateReleasing {
			q += ` AND (state = 'quarantined' OR state_changed < ?)`
			args = append(args, stale)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("mark %s %s: %w", it.Recipient, to, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("recipient %s changed meanwhile: %w", it.Recipient, ErrBusy)
		}
	}
	return tx.Commit()
}

// releasedHeader is the header line added on top of a released message.
func releasedHeader(by string, at time.Time, id string) string {
	if by == "" {
		by = "unknown"
	}
	return fmt.Sprintf("X-Mailtower-Released: by %s at %s from quarantine %s", by, at.UTC().Format(time.RFC3339), id)
}

// goneOrUnknown tells a purged id from an unknown one.
func (s *Store) goneOrUnknown(ctx context.Context, id string, notFound error) error {
	var expired, purged int64
	err := s.db.QueryRowContext(ctx, `SELECT expired, purged FROM quarantine_gone WHERE message_id = ?`, id).Scan(&expired, &purged)
	if err != nil {
		return notFound
	}
	return fmt.Errorf("quarantine %s: %w (expired %s, purged %s)", id, ErrPurged,
		time.Unix(expired, 0).UTC().Format(time.RFC3339), time.Unix(purged, 0).UTC().Format(time.RFC3339))
}
