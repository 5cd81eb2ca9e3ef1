package config

import (
	"fmt"
	"path/filepath"
)

// History configures the mail history (package history): what the
// milter and the policy daemon record, and the follower of Postfix's log
// that adds delivery results.
type History struct {
	Enabled bool `toml:"enabled" doc:"record every message, RCPT refusal and delivery attempt in the mail history (mailtower history)" default:"true"`
	// LogFile is Postfix's log: maillog_file (postlogd) or syslog's mail log.
	LogFile string `toml:"log_file" doc:"Postfix's log, followed for delivery results: maillog_file, or syslog's mail log; empty = no delivery results" default:"/var/log/mail.log"`
	// RetentionDays bounds the history's age; older rows are purged hourly.
	RetentionDays int `toml:"retention_days" doc:"days a message and its delivery attempts stay in the history" default:"30"`
}

func defaultHistory() History {
	return History{Enabled: true, LogFile: DefaultMailLog, RetentionDays: 30}
}

// DefaultMailLog is Debian's syslog mail log, the default [history] log_file.
const DefaultMailLog = "/var/log/mail.log"

func (h History) check() []error {
	var errs []error
	if h.RetentionDays < 1 {
		errs = append(errs, fmt.Errorf("history.retention_days: must be at least 1"))
	}
	if h.LogFile != "" && !filepath.IsAbs(h.LogFile) {
		errs = append(errs, fmt.Errorf("history.log_file %q: want an absolute path", h.LogFile))
	}
	return errs
}
