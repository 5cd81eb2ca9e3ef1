package cli

import (
	"encoding/json"
	"github.com/mailtower/mailtower/settings"
	"io"
	"text/tabwriter"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a tab-aligned writer; call Flush when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// orDash prints "-" for empty values in tables.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// domainFlag normalises an optional --domain filter ("" = every domain).
func domainFlag(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	d, err := settings.NormalizeDomain(v)
	if err != nil {
		return "", usageErr("--domain: %v", err)
	}
	return d, nil
}
