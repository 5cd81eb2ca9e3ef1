package config

import (
	"fmt"
	"net/mail"
	"strings"
)

// Check returns every problem with the configuration, not just the first.
func (c *Config) Check() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.DataDir == "" {
		bad("data_dir: must not be empty")
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database: want empty (SQLite in data_dir) or a postgres:// URL")
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		bad("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	if !oneOf(c.Log.Format, "text", "json") {
		bad("log.format %q: want text or json", c.Log.Format)
	}
	if _, _, err := ParseMilterListen(c.Milter.Listen); err != nil {
		bad("milter.listen: %v", err)
	}
	if c.Milter.Timeout <= 0 {
		bad("milter.timeout: must be positive")
	}
	if c.Milter.MaxScans < 0 || c.Milter.MaxScanWait < 0 {
		bad("milter: max_scans and max_scan_wait must not be negative")
	}
	if _, _, err := ParseListen(c.Policyd.Listen); err != nil {
		bad("policyd.listen: %v", err)
	}
	if c.Policyd.Socketmap != "" {
		if _, _, err := ParseListen(c.Policyd.Socketmap); err != nil {
			bad("policyd.socketmap: %v", err)
		}
	}
	if c.Policyd.IdleTimeout <= 0 || c.Policyd.MaxRequest < 1024 || c.Policyd.MaxAttributes < 10 || c.Policyd.MaxConnections < 1 {
		bad("policyd: idle_timeout must be positive, max_request at least 1KiB, max_attributes at least 10, max_connections at least 1")
	}
	if _, _, err := ParseReinject(c.Reinject.SMTP); err != nil {
		bad("reinject.smtp: %v", err)
	}
	errs = append(errs, c.checkScanners()...)
	if c.Greylist.Delay < 0 || c.Greylist.RetryWindow <= c.Greylist.Delay {
		bad("greylist: need 0 <= delay < retry_window (delay %s, retry_window %s)", c.Greylist.Delay, c.Greylist.RetryWindow)
	}
	if c.Greylist.AutoAllow < 0 {
		bad("greylist.auto_allow: must not be negative")
	}
	errs = append(errs, c.Defaults.check()...)
	errs = append(errs, c.checkExposure()...)
	errs = append(errs, c.Web.check()...)
	errs = append(errs, c.TLS.check()...)
	errs = append(errs, c.SASL.check()...)
	errs = append(errs, c.History.check()...)
	if c.Notices.PerAddressHour < 0 || c.Notices.GlobalHour < 0 {
		bad("notices: per_address_hour and global_hour must not be negative (0 = no limit)")
	}
	if c.Limits.MimeDepth < 1 || c.Limits.MimeParts < 1 || c.Limits.ArchiveDepth < 0 || c.Limits.Unpacked <= 0 || c.Limits.Decoded <= 0 {
		bad("limits: mime_depth and mime_parts must be at least 1, archive_depth at least 0, unpacked_size and decoded_size positive")
	}
	if c.Metrics.Listen != "" {
		if _, _, err := ParseListen(c.Metrics.Listen); err != nil {
			bad("metrics.listen: %v", err)
		}
	}
	return errs
}

func (c *Config) checkScanners() []error {
	var errs []error
	check := func(name string, s *Scanner, parse func(string) (string, string, error)) {
		if s == nil {
			return
		}
		if s.Timeout == 0 {
			s.Timeout = Duration(defaultScannerTimeout)
		}
		if s.OnError == "" {
			s.OnError = "tempfail"
		}
		if s.When == "" {
			s.When = "always"
		}
		if !oneOf(s.When, "always", "uncertain") || (s.When == "uncertain" && name == "clamd") {
			errs = append(errs, fmt.Errorf("scanners.%s.when %q: want always, or uncertain (spamd and rspamd only)", name, s.When))
		}
		if _, _, err := parse(s.Address); err != nil {
			errs = append(errs, fmt.Errorf("scanners.%s.address: %v", name, err))
		}
		if s.Timeout < 0 {
			errs = append(errs, fmt.Errorf("scanners.%s.timeout: must be positive", name))
		}
		if s.User != "" && (name != "spamd" || strings.ContainsAny(s.User, "\r\n\x00 \t")) {
			errs = append(errs, fmt.Errorf("scanners.%s.user %q: only spamd takes a user, without spaces or control characters", name, s.User))
		}
		if !oneOf(s.OnError, "tempfail", "skip") {
			errs = append(errs, fmt.Errorf("scanners.%s.on_error %q: want tempfail or skip", name, s.OnError))
		}
	}
	check("clamd", c.Scanners.Clamd, ParseClamdAddress)
	check("icap", c.Scanners.ICAP, func(s string) (string, string, error) {
		network, address, _, err := ParseICAPAddress(s)
		return network, address, err
	})
	check("spamd", c.Scanners.Spamd, ParseListen)
	check("rspamd", c.Scanners.Rspamd, ParseHTTPAddress)
	if b := c.Scanners.Bayes; b.MinSpam < 1 || b.MinHam < 1 {
		errs = append(errs, fmt.Errorf("scanners.bayes: min_spam and min_ham must be at least 1 (have %d, %d)", b.MinSpam, b.MinHam))
	}
	if c.Scanners.Heuristics.DNSTimeout <= 0 {
		errs = append(errs, fmt.Errorf("scanners.heuristics.dns_timeout: must be positive"))
	}
	return errs
}

func (d *Defaults) check() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if d.SpamLevel < 1 || d.SpamLevel > 5 {
		bad("defaults.spam_level %d: want 1 to 5", d.SpamLevel)
	}
	if !oneOf(d.SpamAction, "quarantine", "tag", "delete", "pass") {
		bad("defaults.spam_action %q: want quarantine, tag, delete or pass", d.SpamAction)
	}
	if !oneOf(d.VirusAction, "quarantine", "delete") {
		bad("defaults.virus_action %q: want quarantine or delete", d.VirusAction)
	}
	if !oneOf(d.ContentAction, "quarantine", "tag", "delete", "pass") {
		bad("defaults.content_action %q: want quarantine, tag, delete or pass", d.ContentAction)
	}
	if d.MaxSize <= 0 {
		bad("defaults.max_size: must be positive")
	}
	if !oneOf(d.NotifyVirus, "none", "recipient", "admin", "both") {
		bad("defaults.notify_virus %q: want none, recipient, admin or both", d.NotifyVirus)
	}
	if d.Admin != "" {
		if _, err := mail.ParseAddress(d.Admin); err != nil {
			bad("defaults.admin %q: %v", d.Admin, err)
		}
	}
	if d.VirusDays < 1 || d.SpamDays < 1 || d.ContentDays < 1 {
		bad("defaults: retention days must be at least 1")
	}
	return errs
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}
