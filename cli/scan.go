package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailtower/mailtower/internal/gateway"
	"github.com/mailtower/mailtower/internal/msgfiles"
	"github.com/mailtower/mailtower/scan"
	"github.com/mailtower/mailtower/settings"
)

// Exit codes of `mailtower scan`, like clamscan's.
const (
	scanExitClean  = 0 // every message clean
	scanExitCaught = 1 // at least one message is spam, virus or content
	scanExitFailed = 3 // at least one message could not be read or scanned
)

func newScanCmd(g *globals) *cobra.Command {
	var level, workers int
	cmd := &cobra.Command{
		Use:   "scan PATH...|-",
		Short: "Scan messages offline with the configured scanners and print a verdict per message",
		Long: `Scan messages offline with the configured scanners (the built-in engines,
and clamd, spamd, rspamd when configured) and print one verdict per message:
single message files, directories (recursively), mbox files (detected by a
leading "From " line), or - for standard input. Messages are scanned
concurrently; the output keeps the input order.

With --json, one JSON object per message per line:
  {"file", "verdict" (clean|spam|virus|content|error), "score", "level",
   "threshold", "findings": [{"scanner", "rule", "category", "score", "reason"}],
   "error" (when the message could not be scanned)}

Exit status: 0 every message clean; 1 at least one spam, virus or content
verdict; 3 at least one message could not be read or scanned (an engine
failure is never reported as clean); 2 bad usage.`,
		Args: cobra.MinimumNArgs(1),
		RunE: withApp(g, func(cmd *cobra.Command, paths []string, a *app) error {
			ctx := cmd.Context()
			if !cmd.Flags().Changed("level") {
				level = a.cfg.Defaults.SpamLevel
			}
			if level < 1 || level > 5 {
				return usageErr("--level %d: want 1 to 5", level)
			}
			engines, err := gateway.ScanEngines(ctx, a.App)
			if err != nil {
				return err
			}
			threshold := settings.SpamThresholds[level]
			out := cmd.OutOrStdout()
			worst := scanExitClean
			var total, caught, failed int
			err = msgfiles.Each(paths, cmd.InOrStdin(), workers, func(m msgfiles.Message) scanResult {
				r := scanResult{File: m.Name, Level: level, Threshold: threshold, Findings: []scan.Finding{}}
				if m.Err != nil {
					r.Verdict, r.Error = "error", m.Err.Error()
					return r
				}
				msg := scan.NewMessage(scan.Envelope{}, bytes.NewReader(m.Data), int64(len(m.Data)))
				rep, err := scan.Run(ctx, engines, msg, nil)
				if err != nil {
					r.Verdict, r.Error = "error", err.Error()
					return r
				}
				v := scan.Decide(rep.Findings, "", threshold, false)
				r.Verdict, r.Score = string(v.Category), v.Score
				if v.Findings != nil {
					r.Findings = v.Findings
				}
				return r
			}, func(_ msgfiles.Message, r scanResult) error {
				total++
				switch {
				case r.Verdict == "error":
					failed++
					worst = scanExitFailed
				case r.Verdict != string(scan.Clean):
					caught++
					if worst == scanExitClean {
						worst = scanExitCaught
					}
				}
				return printScan(out, r, g.json)
			})
			if err != nil {
				return err
			}
			if worst != scanExitClean {
				return &exitCodeError{code: worst, err: fmt.Errorf("%d of %d message(s) caught, %d could not be scanned", caught, total, failed)}
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&level, "level", 3, "spam level 1-5 whose threshold decides spam (default: [defaults] spam_level)")
	cmd.Flags().IntVar(&workers, "workers", runtime.GOMAXPROCS(0), "messages scanned concurrently")
	return cmd
}

// scanResult is one line of `scan --json`.
type scanResult struct {
	File      string         `json:"file"`
	Verdict   string         `json:"verdict"`
	Score     float64        `json:"score"`
	Level     int            `json:"level"`
	Threshold float64        `json:"threshold"`
	Findings  []scan.Finding `json:"findings"`
	Error     string         `json:"error,omitempty"`
}

func printScan(w io.Writer, r scanResult, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	if r.Error != "" {
		_, err := fmt.Fprintf(w, "%s: ERROR %s\n", r.File, r.Error)
		return err
	}
	rules := make([]string, 0, len(r.Findings))
	for _, f := range r.Findings {
		if f.Category == scan.Spam {
			rules = append(rules, fmt.Sprintf("%s(%+.1f)", f.Rule, f.Score))
		} else {
			rules = append(rules, fmt.Sprintf("%s:%s", f.Category, f.Rule))
		}
	}
	_, err := fmt.Fprintf(w, "%s: %s score %.1f/%.1f %s\n", r.File, strings.ToUpper(r.Verdict), r.Score, r.Threshold, strings.Join(rules, " "))
	return err
}
