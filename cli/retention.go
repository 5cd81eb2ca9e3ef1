package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/quarantine"
	"github.com/mailtower/mailtower/scan"
)

// Per-domain quarantine retention: `domain set D --virus-retention 7d`
// (or "default" to inherit [defaults] again). The overrides live in the
// quarantine's own table; see quarantine/retention.go.

var retentionFlags = []struct {
	flag string
	cat  scan.Category
}{{"virus-retention", scan.Virus}, {"spam-retention", scan.Spam}, {"content-retention", scan.Content}}

func registerRetentionFlags(cmd *cobra.Command) {
	for _, f := range retentionFlags {
		cmd.Flags().String(f.flag, "", "keep quarantined "+string(f.cat)+" this long (e.g. 7d, 36h; at least 1h; \"default\" = [defaults])")
	}
}

// retentionChanges reads the retention flags that were set; nil value
// means back to the default.
func retentionChanges(cmd *cobra.Command) (map[scan.Category]*time.Duration, error) {
	out := map[scan.Category]*time.Duration{}
	for _, f := range retentionFlags {
		if !cmd.Flags().Changed(f.flag) {
			continue
		}
		v, _ := cmd.Flags().GetString(f.flag)
		if strings.EqualFold(v, "default") {
			out[f.cat] = nil
			continue
		}
		d, err := quarantine.ParseAge(v)
		if err != nil || d < time.Hour {
			return nil, usageErr("--%s %q: want a duration of at least 1h such as 7d or 36h, or \"default\"", f.flag, v)
		}
		out[f.cat] = &d
	}
	return out, nil
}

// onlyRetentionFlags reports whether every flag set is a retention flag.
func onlyRetentionFlags(cmd *cobra.Command, changes map[scan.Category]*time.Duration) bool {
	return cmd.Flags().NFlag() == len(changes)
}

// applyRetention stores the changes and says how many stored items got a
// new expiry.
func applyRetention(ctx context.Context, a *app, w io.Writer, domain string, changes map[scan.Category]*time.Duration) error {
	if len(changes) == 0 {
		return nil
	}
	q, err := a.Quarantine(ctx)
	if err != nil {
		return err
	}
	for _, f := range retentionFlags {
		d, ok := changes[f.cat]
		if !ok {
			continue
		}
		n, err := q.SetDomainRetention(ctx, domain, f.cat, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "domain %s: %s retention %s (%d stored items got a new expiry)\n", domain, f.cat, fmtRetention(d, q.Default().For(f.cat)), n)
	}
	return nil
}

// clearRetention clears a removed domain's retention overrides (settings
// removed them with the domain already) and recomputes the expiry of its
// quarantined mail by [defaults].
func clearRetention(ctx context.Context, a *app, domain string) error {
	q, err := a.Quarantine(ctx)
	if err != nil {
		return err
	}
	return q.ClearDomainRetention(ctx, domain)
}

// retentionRows are the domain's retention lines for `domain show`.
func retentionRows(ctx context.Context, a *app, domain string) ([]policyView, error) {
	q, err := a.Quarantine(ctx)
	if err != nil {
		return nil, err
	}
	dr, err := q.DomainRetention(ctx, domain)
	if err != nil {
		return nil, err
	}
	var rows []policyView
	for _, f := range retentionFlags {
		src := "default"
		if dr.For(f.cat) != nil {
			src = "domain"
		}
		rows = append(rows, policyView{Setting: f.flag, Value: fmtRetention(dr.For(f.cat), q.Default().For(f.cat)), Source: src})
	}
	return rows, nil
}

// fmtRetention prints a retention in days when whole, else as a duration.
func fmtRetention(d *time.Duration, def time.Duration) string {
	if d != nil {
		return quarantine.FormatAge(*d)
	}
	return quarantine.FormatAge(def)
}
