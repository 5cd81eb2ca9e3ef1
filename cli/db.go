package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/store/migrateto"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Move the gateway's database (SQLite to PostgreSQL)"}
	cmd.AddCommand(dbMigrateToCmd(g))
	return cmd
}

func dbMigrateToCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "migrate-to postgres://USER:PASSWORD@HOST/DB",
		Short: "Copy this gateway's SQLite state into an empty PostgreSQL database",
		Long: `Copies everything the gateway keeps in its SQLite file (settings, users,
aliases, rules, greylist, quarantine index, learned tokens, notices, portal
accounts and sessions, release requests, history, mirror index, leases)
into an empty PostgreSQL database, and the quarantined messages' files
into the database, as a gateway on PostgreSQL stores them. The schema is
created by the components' own migrations; rows keep their ids; the copy
is one transaction, so a failed run leaves no rows behind.

Stop the gateway first (it must not write during the copy; migrate-to
refuses while its milter or policy daemon answers). Then set
database = "postgres://..." in mailtower.toml and start it again. The
SQLite file and the message files are left as they were.

A target that already holds rows is refused; --force replaces the rows of
every table copied (e.g. to run again after a failed or test run).
See docs/cluster.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var progress func(migrateto.TableCount)
			if !g.json {
				progress = func(c migrateto.TableCount) {
					fmt.Fprintf(out, "%-28s %10d rows", c.Table, c.Rows)
					if c.Repaired > 0 {
						fmt.Fprintf(out, " (%d text values mended: invalid UTF-8 or NUL)", c.Repaired)
					}
					fmt.Fprintln(out)
				}
			}
			rep, err := gateway.MigrateTo(cmd.Context(), cfg, args[0], gateway.MigrateOptions{Force: force, Progress: progress})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(out, rep)
			}
			for _, s := range rep.Skipped {
				fmt.Fprintf(out, "%-28s skipped (SQLite full-text index; PostgreSQL indexes the copied rows itself)\n", s)
			}
			for _, r := range rep.Retired {
				fmt.Fprintf(out, "%-28s skipped (empty table of an earlier version)\n", r)
			}
			for _, d := range rep.Dropped {
				fmt.Fprintf(out, "%-28s not copied (SQLite only)\n", d)
			}
			for _, h := range rep.Hooks {
				fmt.Fprintln(out, h)
			}
			fmt.Fprintln(out, `done: set database = "postgres://..." in mailtower.toml and start the gateway`)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "copy into a database that already holds rows, replacing the rows of every table copied")
	return cmd
}
