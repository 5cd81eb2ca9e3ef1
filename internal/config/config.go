// Package config reads and checks mailtower's TOML configuration file.
//
// Every key has a documented default next to its field; Load fills the
// defaults first, then overlays the file, then Check reports every problem
// at once so that an admin fixes a file in one pass.
package config

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/BurntSushi/toml"
)

// DefaultPath is where the packaged configuration lives.
const DefaultPath = "/etc/mailtower/mailtower.toml"

// EnvPath names the environment variable that overrides DefaultPath.
const EnvPath = "MAILTOWER_CONFIG"

// Config is the whole configuration file.
type Config struct {
	// DataDir holds the SQLite database and the quarantine files.
	DataDir string `toml:"data_dir" doc:"directory for the SQLite database, spool and quarantine files" default:"/var/lib/mailtower"`
	// Database is empty (SQLite in DataDir) or the URL of a PostgreSQL
	// database that several gateways share (docs/cluster.md).
	Database string `toml:"database" doc:"empty = the SQLite file in data_dir; postgres://user:password@host/db = a PostgreSQL database shared by several gateways (docs/cluster.md)"`
	// Hostname is this gateway's name, used in added headers and notices.
	Hostname string `toml:"hostname" doc:"this gateway's host name (headers, notices); empty = the system host name"`
	// MXNames are the host names customers' MX records should point at.
	MXNames []string `toml:"mx_names" doc:"host names that customer MX records must point at (domain check)"`

	Log      Log      `toml:"log"`
	Milter   Milter   `toml:"milter"`
	Policyd  Policyd  `toml:"policyd"`
	Reinject Reinject `toml:"reinject"`
	Scanners Scanners `toml:"scanners"`
	Greylist Greylist `toml:"greylist"`
	Defaults Defaults `toml:"defaults"`
	Notices  Notices  `toml:"notices"`
	Limits   Limits   `toml:"limits"`
	Metrics  Metrics  `toml:"metrics"`
	Web      Web      `toml:"web"`
	TLS      TLS      `toml:"tls"`
	SASL     SASL     `toml:"sasl"`
	History  History  `toml:"history"`

	// Path is the file this configuration was read from (not a key).
	Path string `toml:"-"`
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level" doc:"debug, info, warn or error" default:"info"`
	Format string `toml:"format" doc:"text or json" default:"text"`
}

// Milter configures the milter listener.
type Milter struct {
	Listen string `toml:"listen" doc:"inet:HOST:PORT or unix:PATH" default:"inet:127.0.0.1:8891"`
	// SpoolMemory is the size up to which a message is held in memory while
	// it is scanned; larger messages are spooled to data_dir/spool.
	SpoolMemory ByteSize `toml:"spool_memory" doc:"messages up to this size are scanned from memory, larger ones from a spool file" default:"1MiB"`
	// Timeout is the deadline of the whole decision on one message: spool,
	// scan, quarantine and re-injection of differently treated copies.
	// Scanning may use all but a quarter of it (at most 30 s are kept for
	// the rest). Postfix's milter_content_timeout must be longer (by
	// max_scan_wait and a margin); `config check` verifies it.
	Timeout Duration `toml:"timeout" doc:"deadline for the whole decision on one message (scan, quarantine, re-injection); past it the message is tempfailed; keep below Postfix's milter_content_timeout" default:"120s"`
	// MaxScans bounds the messages decided at the same time, and so the
	// memory they take (each holds up to spool_memory of the message and
	// up to limits.decoded_size of decoded MIME parts). 0 picks
	// max(4, 2 × CPUs): scans wait on clamd and spamd as much as they
	// compute.
	MaxScans int `toml:"max_scans" doc:"most messages scanned at the same time; 0 = max(4, 2 × CPUs)" default:"0"`
	// MaxScanWait is how long a message waits for a free scan slot before
	// it is tempfailed (451); it adds to timeout in Postfix's wait.
	MaxScanWait Duration `toml:"max_scan_wait" doc:"how long a message waits for a free scan slot (max_scans) before it is tempfailed" default:"10s"`
	// AllowPublic permits a listen address other hosts can reach.
	AllowPublic bool `toml:"allow_public" doc:"allow listen on an address other hosts can reach (not loopback or a unix socket); the milter has no authentication, so only behind a firewall" default:"false"`
}

// Policyd configures the policy delegation listener.
type Policyd struct {
	Listen string `toml:"listen" doc:"HOST:PORT or unix:PATH for Postfix check_policy_service" default:"127.0.0.1:10040"`
	// Socketmap is the listener for Postfix socketmap look-ups (domains, transport, recipients).
	Socketmap string `toml:"socketmap" doc:"HOST:PORT or unix:PATH for Postfix socketmap tables; empty = off" default:"127.0.0.1:10041"`
	// IdleTimeout closes a policy connection that sent nothing for this
	// long; longer than Postfix's smtpd_policy_service_max_idle (300s) so
	// that Postfix, not mailtower, normally closes idle connections.
	IdleTimeout Duration `toml:"idle_timeout" doc:"close a connection idle for this long (keep above Postfix's smtpd_policy_service_max_idle)" default:"330s"`
	// MaxRequest bounds one request (all its name=value lines).
	MaxRequest ByteSize `toml:"max_request" doc:"largest policy request; larger ones are answered DEFER_IF_PERMIT" default:"64KiB"`
	// MaxAttributes bounds the attribute count of one request.
	MaxAttributes int `toml:"max_attributes" doc:"most attributes in one policy request" default:"200"`
	// MaxConnections bounds concurrent connections (one per smtpd process).
	MaxConnections int `toml:"max_connections" doc:"most concurrent policy and socketmap connections each; more are closed at once" default:"2000"`
	// AllowPublic permits listen and socketmap addresses other hosts can reach.
	AllowPublic bool `toml:"allow_public" doc:"allow listen and socketmap on addresses other hosts can reach; neither has authentication, so only behind a firewall" default:"false"`
}

// Reinject configures the Postfix listener without milter.
type Reinject struct {
	SMTP string `toml:"smtp" doc:"Postfix listener without milter, used for release, per-recipient copies and notices: unix:QUEUE_DIRECTORY/public/NAME (a socket only root, postfix and group postdrop can reach) or HOST:PORT on loopback (reachable by every local process)" default:"unix:/var/spool/postfix/public/mailtower-reinject"`
}

// Scanners configures the scan engines. For the external ones (clamd,
// ICAP, spamd, rspamd) an absent section means the engine is not used; the
// built-in ones (bayes, heuristics) are on unless disabled.
type Scanners struct {
	Clamd      *Scanner   `toml:"clamd"`
	ICAP       *Scanner   `toml:"icap"`
	Spamd      *Scanner   `toml:"spamd"`
	Rspamd     *Scanner   `toml:"rspamd"`
	Bayes      Bayes      `toml:"bayes"`
	Heuristics Heuristics `toml:"heuristics"`
}

// Bayes configures the built-in learning spam engine (scan/bayes).
type Bayes struct {
	Enabled bool `toml:"enabled" doc:"use the built-in learning spam engine" default:"true"`
	// MinSpam and MinHam are the learned messages needed before the
	// engine scores anything: a classifier trained on a handful of
	// messages says more about them than about mail.
	MinSpam int `toml:"min_spam" doc:"spam messages to learn before the engine scores" default:"200"`
	MinHam  int `toml:"min_ham" doc:"ham messages to learn before the engine scores" default:"200"`
}

// Heuristics configures the built-in header and structure rules
// (scan/heuristics).
type Heuristics struct {
	Enabled bool `toml:"enabled" doc:"use the built-in header and structure rules" default:"true"`
	// Auth turns on DKIM signature and DMARC policy checks, which need
	// DNS; a DNS failure never tempfails and never scores.
	Auth bool `toml:"auth" doc:"check DKIM signatures and DMARC policies (needs DNS)" default:"false"`
	// DNSTimeout bounds the DNS look-ups of one message's auth checks.
	DNSTimeout Duration `toml:"dns_timeout" doc:"time limit for one message's DKIM/DMARC DNS look-ups" default:"5s"`
}

// Scanner is one external engine.
type Scanner struct {
	Address string   `toml:"address" doc:"tcp:HOST:PORT or unix:PATH (clamd), icap://HOST[:PORT]/SERVICE (ICAP), HOST:PORT (spamd), http://HOST:PORT (rspamd)"`
	Timeout Duration `toml:"timeout" doc:"per-message time limit for this engine" default:"60s"`
	// OnError decides what an engine failure means. "tempfail" (the
	// default) answers 451 so the sender retries; "skip" is an explicit
	// choice to accept mail unscanned by this engine.
	OnError string `toml:"on_error" doc:"tempfail (default) or skip: what an unreachable or failing engine means" default:"tempfail"`
	// MaxSize is the largest message sent to this engine; larger ones are
	// not sent to it (spamd and rspamd are not meant for big attachments).
	MaxSize ByteSize `toml:"max_size" doc:"larger messages are not sent to this engine; 0 = no limit"`
	// User is sent to spamd as the SPAMC User header, selecting that
	// user's SpamAssassin preferences; other engines ignore it.
	User string `toml:"user" doc:"spamd only: user whose SpamAssassin preferences apply (User header); empty = spamd's default"`
	// When is "always" or "uncertain": spamd and rspamd cost about
	// 100 ms a message, and most mail is decided with certainty by the
	// built-in evidence, which then runs first.
	When string `toml:"when" doc:"spamd and rspamd: always (default), or uncertain: only when the built-in engines' evidence leaves the verdict uncertain" default:"always"`
}

// Greylist configures greylisting of catch-all domains.
type Greylist struct {
	Delay       Duration `toml:"delay" doc:"first retry accepted after this" default:"30s"`
	RetryWindow Duration `toml:"retry_window" doc:"a retry must come within this after the first attempt" default:"48h"`
	Remember    Duration `toml:"remember" doc:"how long a passed triplet is remembered" default:"840h"`
	AutoAllow   int      `toml:"auto_allow" doc:"a client network that passed this many times skips greylisting; 0 = never" default:"5"`
}

// Defaults is the global policy that domains and users override.
type Defaults struct {
	SpamLevel     int      `toml:"spam_level" doc:"1 (only obvious spam) to 5 (aggressive)" default:"3"`
	SpamAction    string   `toml:"spam_action" doc:"quarantine, tag, delete or pass" default:"quarantine"`
	VirusAction   string   `toml:"virus_action" doc:"quarantine or delete" default:"quarantine"`
	ContentAction string   `toml:"content_action" doc:"quarantine, tag, delete or pass" default:"quarantine"`
	MaxSize       ByteSize `toml:"max_size" doc:"largest accepted message" default:"25MB"`
	NotifyVirus   string   `toml:"notify_virus" doc:"none, recipient, admin or both (never the sender)" default:"recipient"`
	Admin         string   `toml:"admin" doc:"global admin address for virus notices"`
	VirusDays     int      `toml:"virus_retention_days" doc:"days a virus stays in quarantine" default:"14"`
	SpamDays      int      `toml:"spam_retention_days" doc:"days spam stays in quarantine" default:"30"`
	ContentDays   int      `toml:"content_retention_days" doc:"days a content-filter catch stays in quarantine" default:"30"`
}

// Notices bounds the virus notices sent. One message yields at most one
// notice per notified address; these limits stop a flood of infected
// messages from becoming a flood of notices.
type Notices struct {
	PerAddressHour int `toml:"per_address_hour" doc:"most virus notices one address gets per hour; more are dropped and counted; 0 = no limit" default:"20"`
	GlobalHour     int `toml:"global_hour" doc:"most virus notices queued per hour in all; 0 = no limit" default:"500"`
}

// Limits bound the work done on one message (hostile input).
type Limits struct {
	MimeDepth    int      `toml:"mime_depth" doc:"deepest MIME / message/rfc822 nesting that is parsed" default:"20"`
	MimeParts    int      `toml:"mime_parts" doc:"most MIME parts that are inspected" default:"1000"`
	ArchiveDepth int      `toml:"archive_depth" doc:"deepest archive nesting that is opened" default:"4"`
	Unpacked     ByteSize `toml:"unpacked_size" doc:"most bytes decompressed from archives per message" default:"200MB"`
	// Decoded bounds the transfer-decoded (base64, quoted-printable) bodies
	// of one message, and so the memory the content filter spends on it.
	Decoded ByteSize `toml:"decoded_size" doc:"most bytes of transfer-decoded MIME bodies kept per message; past it the message is malformed" default:"64MB"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	Listen string `toml:"listen" doc:"HOST:PORT for /metrics; empty = off" default:"127.0.0.1:9891"`
	// AllowPublic permits a listen address other hosts can reach.
	AllowPublic bool `toml:"allow_public" doc:"allow listen on an address other hosts can reach (only behind a firewall that admits your Prometheus server)" default:"false"`
}

// Default returns a configuration holding every default.
func Default() *Config {
	return &Config{
		DataDir: "/var/lib/mailtower",
		Log:     Log{Level: "info", Format: "text"},
		Milter: Milter{Listen: "inet:127.0.0.1:8891", SpoolMemory: 1 << 20, Timeout: Duration(120 * time.Second),
			MaxScanWait: Duration(10 * time.Second)},
		Policyd: Policyd{Listen: "127.0.0.1:10040", Socketmap: "127.0.0.1:10041", IdleTimeout: Duration(330 * time.Second),
			MaxRequest: 64 << 10, MaxAttributes: 200, MaxConnections: 2000},
		Reinject: Reinject{SMTP: DefaultReinject},
		Greylist: Greylist{Delay: Duration(30 * time.Second), RetryWindow: Duration(48 * time.Hour),
			Remember: Duration(35 * 24 * time.Hour), AutoAllow: 5},
		Defaults: Defaults{SpamLevel: 3, SpamAction: "quarantine", VirusAction: "quarantine",
			ContentAction: "quarantine", MaxSize: 25 * MB, NotifyVirus: "recipient",
			VirusDays: 14, SpamDays: 30, ContentDays: 30},
		Notices: Notices{PerAddressHour: 20, GlobalHour: 500},
		Scanners: Scanners{Bayes: Bayes{Enabled: true, MinSpam: 200, MinHam: 200},
			Heuristics: Heuristics{Enabled: true, DNSTimeout: Duration(5 * time.Second)}},
		Limits:  Limits{MimeDepth: 20, MimeParts: 1000, ArchiveDepth: 4, Unpacked: 200 * MB, Decoded: 64 * MB},
		Metrics: Metrics{Listen: "127.0.0.1:9891"},
		Web:     defaultWeb(),
		SASL:    defaultSASL(),
		History: defaultHistory(),
	}
}

// ResolvePath returns the configuration path to use: the flag when set,
// else $MAILTOWER_CONFIG, else DefaultPath.
func ResolvePath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv(EnvPath); p != "" {
		return p
	}
	return DefaultPath
}

// Load reads the file at path over the defaults and checks it. A missing
// file is an error: mailtower never runs on a configuration it did not read.
func Load(path string) (*Config, error) {
	c := Default()
	c.Path = path
	md, err := toml.DecodeFile(path, c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var problems []error
	for _, k := range md.Undecoded() {
		problems = append(problems, fmt.Errorf("unknown key %q", k.String()))
	}
	problems = append(problems, c.Check()...)
	if len(problems) > 0 {
		return c, &CheckError{Path: path, Problems: problems}
	}
	return c, nil
}

// CheckError lists every problem found in one configuration file.
type CheckError struct {
	Path     string
	Problems []error
}

// Error lists the problems, one a line.
func (e *CheckError) Error() string {
	msg := fmt.Sprintf("config %s: %d problem(s)", e.Path, len(e.Problems))
	for _, p := range e.Problems {
		msg += "\n  - " + p.Error()
	}
	return msg
}

// Unwrap returns the individual problems.
func (e *CheckError) Unwrap() []error { return e.Problems }

// IsCheckError reports whether err lists configuration problems.
func IsCheckError(err error) bool {
	var ce *CheckError
	return errors.As(err, &ce)
}
