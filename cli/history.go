package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/history"
	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/quarantine"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var hf historyFlags
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Search the mail history: every message, refusal and delivery attempt",
		Long: "Search the mail history, one row per recipient of a message, newest first: the verdict and\n" +
			"action mailtower took, and the last delivery status Postfix logged (sent, deferred, bounced,\n" +
			"expired; none yet). A full page prints the --cursor for the next one on stderr.\n" +
			"`history show ID` tells one message's whole story.",
		Args: cobra.NoArgs,
		RunE: withStore(g, history.Open, func(cmd *cobra.Command, _ []string, a *app, h *history.Store) error {
			f, err := hf.filter(time.Now())
			if err != nil {
				return err
			}
			rows, err := h.Search(cmd.Context(), f)
			if err != nil {
				return err
			}
			if next := f.NextCursor(rows); next != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "more: --cursor %s\n", next)
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tTIME\tVERDICT\tACTION\tSTATUS\tSCORE\tSENDER\tRECIPIENT\tSUBJECT")
			for _, r := range rows {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\n", r.ID, r.Time.Local().Format("2006-01-02 15:04:05"),
					r.Verdict, r.Action, orDash(r.Status), r.Score, orDash(r.Sender), r.Recipient, oneLine(truncate(r.Subject, 50)))
			}
			return w.Flush()
		}),
	}
	hf.register(cmd)
	cmd.AddCommand(historyShowCmd(g), historyWhatIfCmd(g), historyFollowCmd(g))
	return cmd
}

// historyFlags are the search flags.
type historyFlags struct {
	f            history.Filter
	since, until string
}

func (hf *historyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&hf.f.Sender, "sender", "", "envelope sender, or @domain for every sender of a domain")
	fl.StringVar(&hf.f.Recipient, "recipient", "", "recipient address")
	fl.StringVar(&hf.f.Domain, "domain", "", "recipient domain")
	fl.StringVar(&hf.f.QueueID, "queue-id", "", "Postfix queue id (the message's, or a re-injected or released copy's)")
	fl.StringVar(&hf.f.MessageID, "message-id", "", "Message-ID header (with or without <>)")
	fl.StringVar(&hf.f.Subject, "subject", "", "words in the subject (all must occur; word* = prefix)")
	fl.StringVar(&hf.f.Verdict, "verdict", "", "clean, spam, content, virus or refused (at RCPT)")
	fl.StringVar(&hf.f.Action, "action", "", "pass, tag, quarantine, delete, reject; for refusals the reason: greylisted, unknown-user, ...")
	fl.StringVar(&hf.f.Status, "status", "", "last delivery status: sent, deferred, bounced, expired or none")
	fl.StringVar(&hf.since, "since", "", "at or after: RFC 3339 time, date (2026-11-01) or age (7d, 36h)")
	fl.StringVar(&hf.until, "until", "", "before: RFC 3339 time, date or age")
	fl.StringVar(&hf.f.Sort, "sort", "time", "time or score")
	fl.BoolVar(&hf.f.Reverse, "reverse", false, "oldest (lowest) first")
	fl.IntVar(&hf.f.Limit, "limit", 100, "at most this many rows (0 = all)")
	fl.StringVar(&hf.f.Cursor, "cursor", "", "continue after the page that printed this cursor")
	requireNonEmpty(fl, "sender", "recipient", "domain", "queue-id", "message-id", "subject", "verdict", "action", "status",
		"since", "until", "cursor")
}

// filter checks the flags against now.
func (hf *historyFlags) filter(now time.Time) (history.Filter, error) {
	f := hf.f
	if f.Sort != "time" && f.Sort != "score" {
		return f, usageErr("--sort %q: want time or score", f.Sort)
	}
	if f.Sort == "time" {
		f.Sort = ""
	}
	if f.Limit < 0 {
		return f, usageErr("--limit must not be negative")
	}
	if v := strings.ToLower(f.Verdict); v != "" && !oneOfStr(v, "clean", "spam", "content", "virus", history.VerdictRefused) {
		return f, usageErr("--verdict %q: want clean, spam, content, virus or refused", f.Verdict)
	}
	if s := strings.ToLower(f.Status); s != "" && !oneOfStr(s, "sent", "deferred", "bounced", "expired", "none") {
		return f, usageErr("--status %q: want sent, deferred, bounced, expired or none", f.Status)
	}
	for _, t := range []struct {
		name, val string
		dst       *time.Time
	}{{"since", hf.since, &f.Since}, {"until", hf.until, &f.Until}} {
		if t.val == "" {
			continue
		}
		v, err := quarantine.ParseTime(t.val, now)
		if err != nil {
			return f, usageErr("--%s: %v", t.name, err)
		}
		*t.dst = v
	}
	return f, nil
}

func oneOfStr(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func historyFollowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "follow",
		Short: "Run only the history's Postfix log follower and retention purge (serve runs them too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return gateway.Run(cmd.Context(), g.loadConfig, "history", gateway.StartHistory)
		},
	}
}
