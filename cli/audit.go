package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/web/audit"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the audit log of the web portal and account changes"}
	cmd.AddCommand(auditListCmd(g))
	return cmd
}

func auditListCmd(g *globals) *cobra.Command {
	var f audit.Filter
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit entries, newest first: logins (ok and failed), releases, deletes, setting changes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since != "" {
				t, err := quarantine.ParseTime(since, time.Now())
				if err != nil {
					return usageErr("--since: %v", err)
				}
				f.Since = t
			}
			a, _, al, err := g.openAccounts(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			entries, err := al.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), entries)
			}
			w := newTable(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tWHEN\tWHO\tFROM\tACTION\tTARGET\tOK\tDETAIL")
			for _, e := range entries {
				ok := "ok"
				if !e.OK {
					ok = "FAILED"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.Local().Format("2006-01-02 15:04:05"), orDash(oneLine(e.Actor)),
					orDash(e.Client), e.Action, orDash(oneLine(e.Target)), ok, oneLine(e.Detail))
			}
			return w.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Actor, "actor", "", "only entries by this login")
	fl.StringVar(&f.Action, "action", "", "only this action or family (login, login.failed, quarantine, setting, password, totp)")
	fl.StringVar(&since, "since", "", "at or after: RFC 3339 time, date or age (7d)")
	fl.Int64Var(&f.Before, "before-id", 0, "continue after this entry id (paging)")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many entries (0 = all)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	requireNonEmpty(fl, "actor", "action", "since")
	return cmd
}
