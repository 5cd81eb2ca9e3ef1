package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/reinject"
)

// releaseView is one id's outcome in `quarantine release --json`.
type releaseView struct {
	ID         string                 `json:"id"`
	Released   *quarantine.Released   `json:"released,omitempty"`
	Remembered *quarantine.Remembered `json:"remembered,omitempty"`
	// Learned says what a release without --remember taught the
	// engines ("" = nothing: not spam, or bayes off).
	Learned string `json:"learned,omitempty"`
	Error   string `json:"error,omitempty"`
}

func quarantineReleaseCmd(g *quarantineGlobals) *cobra.Command {
	var opt quarantine.ReleaseOptions
	var remember, asJSON bool
	cmd := &cobra.Command{
		Use:   "release ID...",
		Short: "Deliver quarantined messages to their quarantined recipients (through Postfix, after an antivirus rescan)",
		Long: "Re-inject each message through Postfix's listener without milter ([reinject] smtp) with its original\n" +
			"envelope sender and its quarantined recipients (or --recipient), with an X-Mailtower-Released header.\n" +
			"A message is marked released only after Postfix answered 250; releasing again sends nothing.\n" +
			"A message quarantined as spam is learned as not spam by the built-in engines (at most 10 messages of one\n" +
			"sender domain in 30 days), and the next `mailtower learn fit` weighs its evidence as ham.\n" +
			"--remember also allows the sender for each released recipient (spam checks skipped; antivirus and\n" +
			"content filter still apply) and remembers the content, so the same message from anyone passes.\n" +
			"Before sending, the message is scanned again by the antivirus engines ([scanners.clamd], [scanners.icap])\n" +
			"with today's signatures: a virus found now refuses the release and turns the entry into a virus entry;\n" +
			"an engine that cannot scan refuses it too. --force releases anyway (the entry is still updated).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.By == "" {
				opt.By = whoAmI()
			}
			if strings.ContainsAny(opt.By, "\r\n\x00") {
				return usageErr("--by %q: no line breaks", opt.By)
			}
			a, q, err := g.openQuarantine(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := gateway.NewReleaser(cmd.Context(), a.App, q)
			if err != nil {
				return err
			}
			var views []releaseView
			failed := 0
			for _, id := range args {
				v := releaseOne(cmd.Context(), r, a.cfg.Reinject.SMTP, id, opt, remember)
				if v.Error != "" {
					failed++
				}
				views = append(views, v)
				if !asJSON {
					printRelease(cmd.OutOrStdout(), cmd.ErrOrStderr(), v)
				}
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), views); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d message(s) not released (see above)", failed, len(args))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opt.Recipients, "recipient", nil, "release only for this quarantined recipient (repeatable)")
	requireNonEmpty(fl, "recipient")
	fl.BoolVar(&remember, "remember", false, "also allow the sender for these recipients and learn the message as not spam")
	fl.BoolVar(&opt.Force, "force", false, "release even a virus, or a message past its retention")
	fl.StringVar(&opt.By, "by", "", "who releases (header and history; default: the Unix user)")
	fl.BoolVar(&asJSON, "json", false, "print a JSON array of outcomes")
	return cmd
}

// releaseOne releases one message through the gateway's Releaser (the
// portal's release is the same) and says what happened.
func releaseOne(ctx context.Context, r *gateway.Releaser, reinjectAddr, id string, opt quarantine.ReleaseOptions,
	remember bool) releaseView {
	out, err := r.Release(ctx, id, opt, remember)
	v := releaseView{ID: id, Released: &out.Released, Remembered: out.Remembered, Learned: out.Learned}
	var after *gateway.AfterReleaseError
	switch {
	case errors.As(err, &after):
		v.Error = after.Error()
	case err != nil:
		v.Error = releaseErrText(err, reinjectAddr)
	}
	return v
}

// releaseErrText adds what to do to a release failure.
func releaseErrText(err error, addr string) string {
	var re *reinject.Error
	switch {
	case errors.As(err, &re) && re.Temporary():
		return err.Error() + "\n  Postfix asked to try again later; the message stays quarantined: run the release again."
	case errors.As(err, &re):
		return err.Error() + "\n  Postfix refused it; the message stays quarantined. Check the recipient address and the Postfix log" +
			" for the listener at " + addr + " ([reinject] smtp)."
	case isQuarantineErr(err):
		return err.Error()
	case strings.Contains(err.Error(), "not delivered, still quarantined"):
		hint := "\n  Is Postfix's re-injection listener running at " + addr +
			" ([reinject] smtp; see `mailtower postfix-config`)? Then run the release again."
		if errors.Is(err, fs.ErrPermission) {
			hint = "\n  Only root, postfix and group postdrop may use the socket " + addr +
				": run the release as root or as a member of postdrop."
		}
		return err.Error() + hint
	}
	return err.Error()
}

func printRelease(out, errw io.Writer, v releaseView) {
	r := v.Released
	for _, s := range r.Skipped {
		fmt.Fprintf(out, "%s: %s skipped: %s\n", v.ID, s.Recipient, s.Reason)
	}
	if v.Error != "" && len(r.Recipients) == 0 {
		fmt.Fprintf(errw, "mailtower: %s\n", v.Error)
		return
	}
	if r.Rescan != "" && (len(r.Recipients) > 0 || v.Error == "") {
		fmt.Fprintf(out, "%s: %s\n", v.ID, r.Rescan)
	}
	if len(r.Recipients) > 0 {
		fmt.Fprintf(out, "%s: released to %s (envelope sender <%s>); Postfix accepted it\n", v.ID,
			strings.Join(r.Recipients, ", "), r.Sender)
	} else if len(r.Skipped) > 0 {
		fmt.Fprintf(out, "%s: nothing to release\n", v.ID)
	}
	if v.Learned != "" {
		fmt.Fprintf(out, "%s: %s\n", v.ID, v.Learned)
	}
	if m := v.Remembered; m != nil {
		for _, rcpt := range sortedKeys(m.Rules) {
			fmt.Fprintf(out, "%s: %s now allows <%s> (%s)\n", v.ID, rcpt, r.Sender, m.Rules[rcpt])
		}
		for _, rcpt := range m.Existing {
			fmt.Fprintf(out, "%s: %s already allowed <%s>\n", v.ID, rcpt, r.Sender)
		}
		if m.Learned {
			fmt.Fprintf(out, "%s: learned as not spam\n", v.ID)
		}
		for _, n := range m.Notes {
			fmt.Fprintf(out, "%s: note: %s\n", v.ID, n)
		}
	}
	if v.Error != "" {
		fmt.Fprintf(errw, "mailtower: %s\n", v.Error)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
