package cli

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/quarantine"
)

// quarantineGlobals are the flags every quarantine sub-command shares.
type quarantineGlobals struct {
	*globals
	now string
}

func newQuarantineCmd(g *globals) *cobra.Command {
	qg := &quarantineGlobals{globals: g}
	cmd := &cobra.Command{Use: "quarantine", Short: "Search, inspect, release and delete quarantined mail"}
	qg.registerClock(cmd)
	cmd.AddCommand(quarantineListCmd(qg), quarantineShowCmd(qg), quarantineReleaseCmd(qg),
		quarantineDeleteCmd(qg), quarantinePurgeCmd(qg))
	return cmd
}

// registerClock gives cmd's sub-commands the hidden --now of test builds.
func (g *quarantineGlobals) registerClock(cmd *cobra.Command) {
	if testClock {
		cmd.PersistentFlags().StringVar(&g.now, "now", "", "pretend the time is this RFC 3339 instant (tests; also $"+envNow+")")
		cmd.PersistentFlags().MarkHidden("now")
	}
}

// clock returns the time source: in test builds --now or $MAILTOWER_NOW,
// else the real clock.
func (g *quarantineGlobals) clock() (func() time.Time, error) {
	if !testClock {
		return time.Now, nil
	}
	v := g.now
	if v == "" {
		v = os.Getenv(envNow)
	}
	if v == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, usageErr("--now / $%s %q: want an RFC 3339 time such as 2026-11-22T06:00:00Z", envNow, v)
	}
	return func() time.Time { return t }, nil
}

// openQuarantine opens the app and the quarantine store with the clock.
func (g *quarantineGlobals) openQuarantine(ctx context.Context) (*app, *quarantine.Store, error) {
	clock, err := g.clock()
	if err != nil {
		return nil, nil, err
	}
	a, err := g.openApp(ctx)
	if err != nil {
		return nil, nil, err
	}
	q, err := a.Quarantine(ctx)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	q.SetClock(clock)
	return a, q, nil
}

// withQuarantine is withApp for the quarantine commands: fn gets the app
// and the quarantine store with the clock.
func (g *quarantineGlobals) withQuarantine(fn func(cmd *cobra.Command, args []string, a *app, q *quarantine.Store) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, q, err := g.openQuarantine(cmd.Context())
		if err != nil {
			return err
		}
		defer a.Close()
		return fn(cmd, args, a, q)
	}
}

// filterFlags are the selection flags of list and delete.
type filterFlags struct {
	category, since, until, before string
	f                              quarantine.Filter
}

func (ff *filterFlags) register(cmd *cobra.Command, withSearch bool) {
	fl := cmd.Flags()
	fl.StringVar(&ff.category, "category", "", "virus, spam or content")
	fl.StringVar(&ff.f.Recipient, "recipient", "", "only this recipient address")
	fl.StringVar(&ff.f.Domain, "domain", "", "only recipients in this domain")
	fl.StringVar(&ff.f.Sender, "sender", "", "only this envelope sender")
	fl.StringVar(&ff.since, "since", "", "received at or after: RFC 3339 time, date (2026-11-01) or age (7d, 36h)")
	fl.StringVar(&ff.until, "until", "", "received before: RFC 3339 time, date or age")
	if withSearch {
		fl.StringVar(&ff.f.Search, "search", "", "words in the subject, sender or From header (all must match; word* = prefix)")
		requireNonEmpty(fl, "search")
	} else {
		fl.StringVar(&ff.before, "before", "", "received before (same as --until)")
		requireNonEmpty(fl, "before")
	}
	requireNonEmpty(fl, "category", "recipient", "domain", "sender", "since", "until")
}

// selection checks the filter flags against the command's clock.
func (g *quarantineGlobals) selection(ff *filterFlags) (quarantine.Filter, error) {
	clock, err := g.clock()
	if err != nil {
		return quarantine.Filter{}, err
	}
	return ff.filter(clock())
}

// filter checks the flags and returns the filter.
func (ff *filterFlags) filter(now time.Time) (quarantine.Filter, error) {
	f := ff.f
	if ff.category != "" {
		c, err := quarantine.ParseCategory(ff.category)
		if err != nil {
			return f, usageErr("--%v", err)
		}
		f.Category = c
	}
	for _, t := range []struct {
		name, val string
		dst       *time.Time
	}{{"since", ff.since, &f.Since}, {"until", ff.until, &f.Until}, {"before", ff.before, &f.Until}} {
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

func quarantineListCmd(g *quarantineGlobals) *cobra.Command {
	var ff filterFlags
	var all bool
	var sort string
	var reverse bool
	var limit, offset int
	var cursor string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List and search quarantined messages, one row per quarantined recipient",
		Long: "List and search quarantined messages, one row per quarantined recipient, newest first.\n" +
			"A full page prints the --cursor for the next one on stderr.",
		Args: cobra.NoArgs,
		RunE: g.withQuarantine(func(cmd *cobra.Command, _ []string, a *app, q *quarantine.Store) error {
			f, err := g.selection(&ff)
			if err != nil {
				return err
			}
			if _, ok := map[string]bool{"received": true, "size": true, "score": true, "sender": true}[sort]; !ok {
				return usageErr("--sort %q: want received, size, score or sender", sort)
			}
			if limit < 0 || offset < 0 {
				return usageErr("--limit and --offset must not be negative")
			}
			if sort == "received" {
				sort = ""
			}
			f.Sort, f.Reverse, f.Limit, f.Offset, f.Cursor = sort, reverse, limit, offset, cursor
			if all {
				f.States = quarantine.AllStates
			}
			items, err := q.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if next := f.NextCursor(items); next != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "more: --cursor %s\n", next)
			}
			if g.json {
				return printJSON(cmd.OutOrStdout(), items)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tRECEIVED\tCATEGORY\tSCORE\tSIZE\tSENDER\tRECIPIENT\tSUBJECT\tSTATE")
			for _, it := range items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Received.Format("2006-01-02 15:04"),
					it.Category, it.Score, humanSize(it.Size), orDash(it.Sender), it.Recipient, oneLine(truncate(it.Subject, 50)), it.State)
			}
			return w.Flush()
		}),
	}
	ff.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&sort, "sort", "received", "received, size, score or sender")
	fl.BoolVar(&reverse, "reverse", false, "reverse the order (default: newest, largest, highest first; sender A-Z)")
	fl.IntVar(&limit, "limit", 100, "at most this many rows (0 = all)")
	fl.IntVar(&offset, "offset", 0, "skip this many rows (paging)")
	fl.StringVar(&cursor, "cursor", "", "continue after the page that printed this cursor (same --sort/--reverse)")
	fl.BoolVar(&all, "all", false, "include released, releasing and deleted rows")
	return cmd
}

// whoAmI names the Unix user running the command, for the released header.
func whoAmI() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// oneLine keeps a stored header value from breaking a table row.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
