// Package mlog sets up mailtower's structured logging (log/slog) from the
// [log] configuration. Keys are stable so that admins can grep and parse
// them: queue_id, from, to, client, verdict, action, score, rules,
// quarantine_id, scanner, err; user (the SASL login of a submission
// client) and held (an outbound copy held as spam); reason (the policy
// core's decision) and detail (what the admin needs, e.g. the rule that
// matched, never in the SMTP reply).
package mlog

import (
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing to w in the given format ("text" or
// "json") at the given level ("debug", "info", "warn", "error").
func New(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
