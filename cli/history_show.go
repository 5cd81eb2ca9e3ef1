package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/history"
)

func historyShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|QUEUE-ID",
		Short: "Show one message's whole story: envelope, evidence, each recipient's fate, every delivery attempt",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(g, history.Open, func(cmd *cobra.Command, args []string, a *app, h *history.Store) error {
			st, err := h.Show(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), st)
			}
			return printStory(cmd.OutOrStdout(), st)
		}),
	}
}

func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func printStory(out io.Writer, st history.Story) error {
	w := newTable(out)
	fmt.Fprintf(w, "id\t%d\n", st.ID)
	fmt.Fprintf(w, "time\t%s\n", stamp(st.Time))
	stage := "end of DATA (milter)"
	if st.Stage == history.StageRcpt {
		stage = "RCPT (policy daemon)"
	}
	fmt.Fprintf(w, "decided at\t%s\n", stage)
	fmt.Fprintf(w, "queue id\t%s\n", orDash(st.QueueID))
	fmt.Fprintf(w, "client\t%s [%s] helo %s\n", orDash(st.ClientName), orDash(st.ClientAddr), orDash(st.Helo))
	fmt.Fprintf(w, "sender\t%s\n", orDash(st.Sender))
	if st.Stage == history.StageData {
		fmt.Fprintf(w, "from\t%s\n", orDash(st.HeaderFrom))
		fmt.Fprintf(w, "subject\t%s\n", orDash(oneLine(st.Subject)))
		fmt.Fprintf(w, "message-id\t%s\n", orDash(st.MessageID))
		fmt.Fprintf(w, "size\t%s (%d bytes)\n", humanSize(st.Size), st.Size)
		fmt.Fprintf(w, "score\t%.1f\n", st.Score)
	}
	if st.Outbound {
		fmt.Fprintf(w, "outbound\tyes (a customer's relay network; virus scan only)\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(st.Findings) > 0 {
		fmt.Fprintln(out, "\nevidence:")
		w = newTable(out)
		for _, f := range st.Findings {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%.1f\t%s\n", f.Category, f.Scanner, f.Rule, f.Score, oneLine(truncate(f.Reason, 80)))
		}
		w.Flush()
	}
	fmt.Fprintln(out, "\nrecipients:")
	w = newTable(out)
	for _, r := range st.Recipients {
		var more []string
		if r.Reason != "" {
			more = append(more, oneLine(truncate(r.Reason, 80)))
		}
		if r.QuarantineID != "" {
			more = append(more, "quarantine id "+r.QuarantineID)
		}
		if r.DeliveryQueue != "" {
			more = append(more, "queue id "+r.DeliveryQueue)
		}
		status := orDash(r.Status)
		if r.StatusTime != nil {
			status += " " + stamp(*r.StatusTime)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", r.Recipient, r.Verdict, r.Action, status, strings.Join(more, "; "))
	}
	w.Flush()
	if len(st.Events) > 0 {
		fmt.Fprintln(out, "\nevents:")
		w = newTable(out)
		for _, e := range st.Events {
			fmt.Fprintf(w, "  %s\t%s\t%s\tqueue id %s\t%s\n", stamp(e.Time), e.Kind, e.Recipient, orDash(e.QueueID), e.Detail)
		}
		w.Flush()
	}
	fmt.Fprintln(out, "\ndeliveries:")
	if len(st.Deliveries) == 0 {
		fmt.Fprintln(out, "  none logged")
		return nil
	}
	w = newTable(out)
	for _, d := range st.Deliveries {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\tdelay %.2gs\tdsn %s\t%s\n", stamp(d.Time), d.QueueID, orDash(d.Recipient), d.Status,
			orDash(d.Relay), d.Delay, orDash(d.DSN), oneLine(truncate(d.Reply, 100)))
	}
	return w.Flush()
}
