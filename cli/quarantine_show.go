package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
)

// showView is `quarantine show --json`.
type showView struct {
	ID          string            `json:"id"`
	QueueID     string            `json:"queue_id"`
	Received    time.Time         `json:"received"`
	ClientAddr  string            `json:"client_addr"`
	ClientHost  string            `json:"client_host"`
	Helo        string            `json:"helo"`
	Sender      string            `json:"sender"`
	HeaderFrom  string            `json:"header_from"`
	Subject     string            `json:"subject"`
	Size        int64             `json:"size"`
	File        string            `json:"file"`
	FileMissing bool              `json:"file_missing,omitempty"`
	Recipients  []quarantine.Item `json:"recipients"`
	Findings    []scan.Finding    `json:"findings"`
	// FindingsUnreadable: the stored findings could not be decoded (see the log).
	FindingsUnreadable bool              `json:"findings_unreadable,omitempty"`
	Header             string            `json:"header"`
	Attachments        []quarantine.Part `json:"attachments"`
	Problems           []string          `json:"problems,omitempty"`
}

// maxShowHeader bounds the header block printed.
const maxShowHeader = 256 << 10

func quarantineShowCmd(g *quarantineGlobals) *cobra.Command {
	var raw bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a quarantined message: envelope, headers, verdict with every finding, attachments",
		Args:  cobra.ExactArgs(1),
		RunE: g.withQuarantine(func(cmd *cobra.Command, args []string, a *app, q *quarantine.Store) error {
			items, err := q.Get(cmd.Context(), strings.TrimSpace(args[0]))
			if err != nil {
				return err
			}
			path := q.Path(items[0].Path)
			f, ferr := q.OpenMessage(cmd.Context(), items[0])
			if raw {
				if ferr != nil {
					return fmt.Errorf("quarantine %s: %w", items[0].ID, ferr)
				}
				defer f.Close()
				_, err := io.Copy(cmd.OutOrStdout(), f)
				return err
			}
			v := newShowView(items, path)
			if ferr != nil {
				v.FileMissing = true
				v.Problems = append(v.Problems, "message file missing: "+ferr.Error())
			} else {
				defer f.Close()
				v.Header, _ = quarantine.Header(f, maxShowHeader)
				f.Seek(0, io.SeekStart)
				var probs []string
				v.Attachments, probs = quarantine.Attachments(f, walkLimits(a.cfg.Limits))
				v.Problems = append(v.Problems, probs...)
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), v)
			}
			return printShow(cmd.OutOrStdout(), v)
		}),
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "print the stored message file unchanged")
	return cmd
}

func newShowView(items []quarantine.Item, path string) showView {
	it := items[0]
	v := showView{ID: it.ID, QueueID: it.QueueID, Received: it.Received, ClientAddr: it.ClientAddr, ClientHost: it.ClientHost,
		Helo: it.Helo, Sender: it.Sender, HeaderFrom: it.HeaderFrom, Subject: it.Subject, Size: it.Size, File: path,
		Findings: it.Findings, FindingsUnreadable: it.FindingsUnreadable, Attachments: []quarantine.Part{}}
	if v.Findings == nil {
		v.Findings = []scan.Finding{}
	}
	for _, r := range items {
		r.Findings = nil // shown once, at message level
		v.Recipients = append(v.Recipients, r)
	}
	if it.FileRemoved {
		v.File += " (removed)"
	}
	return v
}

func printShow(out io.Writer, v showView) error {
	w := newTable(out)
	fmt.Fprintf(w, "message\t%s\n", v.ID)
	fmt.Fprintf(w, "queue id\t%s\n", orDash(v.QueueID))
	fmt.Fprintf(w, "received\t%s\n", v.Received.Format(time.RFC3339))
	fmt.Fprintf(w, "client\t%s [%s] helo %s\n", orDash(v.ClientHost), orDash(v.ClientAddr), orDash(oneLine(v.Helo)))
	fmt.Fprintf(w, "sender\t<%s>\n", v.Sender)
	fmt.Fprintf(w, "from\t%s\n", orDash(oneLine(v.HeaderFrom)))
	fmt.Fprintf(w, "subject\t%s\n", orDash(oneLine(v.Subject)))
	fmt.Fprintf(w, "size\t%s (%d bytes)\n", humanSize(v.Size), v.Size)
	fmt.Fprintf(w, "file\t%s\n", v.File)
	w.Flush()
	fmt.Fprintln(out, "\nRecipients:")
	w = newTable(out)
	fmt.Fprintln(w, "  RECIPIENT\tCATEGORY\tSCORE\tSTATE\tEXPIRES\tREASON")
	for _, r := range v.Recipients {
		state := r.State
		if r.StateChanged != nil && r.State != quarantine.StateQuarantined {
			state += " (" + strings.TrimSpace(strings.TrimPrefix(r.History(), " ")) + ")"
		}
		fmt.Fprintf(w, "  %s\t%s\t%.1f\t%s\t%s\t%s\n", r.Recipient, r.Category, r.Score, state,
			r.Expires.Format("2006-01-02 15:04"), oneLine(r.Reason))
	}
	w.Flush()
	fmt.Fprintln(out, "\nVerdict (every finding):")
	if v.FindingsUnreadable {
		fmt.Fprintln(out, "  (unreadable findings: the stored findings could not be decoded; see the log)")
	}
	w = newTable(out)
	fmt.Fprintln(w, "  SCANNER\tCATEGORY\tRULE\tSCORE\tREASON")
	for _, f := range v.Findings {
		reason := oneLine(f.Reason)
		if len(f.Recipients) > 0 {
			reason += " (for " + strings.Join(f.Recipients, ", ") + ")"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%.1f\t%s\n", f.Scanner, f.Category, orDash(f.Rule), f.Score, reason)
	}
	w.Flush()
	fmt.Fprintln(out, "\nHeaders:")
	for _, line := range strings.SplitAfter(v.Header, "\n") {
		if line != "" {
			fmt.Fprintln(out, "  "+oneLine(strings.TrimRight(line, "\r\n")))
		}
	}
	fmt.Fprintln(out, "\nParts:")
	w = newTable(out)
	fmt.Fprintln(w, "  PART\tTYPE\tFILENAME\tSIZE")
	for _, p := range v.Attachments {
		size := humanSize(p.Size)
		if p.Truncated {
			size = "more than " + size
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", orDash(p.Path), p.Type, orDash(oneLine(p.Filename)), size)
	}
	w.Flush()
	if len(v.Problems) > 0 {
		fmt.Fprintln(out, "\nProblems:")
		for _, p := range v.Problems {
			fmt.Fprintln(out, "  "+oneLine(p))
		}
	}
	return nil
}

// isQuarantineErr reports errors whose text already says what to do.
func isQuarantineErr(err error) bool {
	for _, e := range []error{quarantine.ErrNotFound, quarantine.ErrPurged, quarantine.ErrDeleted, quarantine.ErrVirus,
		quarantine.ErrExpired, quarantine.ErrFileMissing, quarantine.ErrBusy, quarantine.ErrRecipient, quarantine.ErrRescan} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
