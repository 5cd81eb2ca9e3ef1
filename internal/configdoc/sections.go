package configdoc

// sectionDocs introduce each section. A test requires an entry for every
// section of config.Config, so a new section cannot ship undocumented.
var sectionDocs = map[string]string{
	"": "Top-level keys: where mailtower keeps its data and what this gateway is called.",
	"log": "Logging goes to standard error (the journal under systemd). Every message " +
		"gets one line per recipient with stable keys: queue_id, from, to, verdict, action, score.",
	"milter": "The milter Postfix calls at end of DATA (smtpd_milters). Use a TCP address on " +
		"loopback, or a unix socket below Postfix's chroot: " +
		"unix:/var/spool/postfix/mailtower/milter.sock (the package creates that directory, " +
		"owned by mailtower, group postfix). `mailtower postfix-config` prints the matching main.cf lines.",
	"policyd": "The Postfix policy service asked at RCPT time (check_policy_service): greylisting " +
		"of catch-all domains, unknown recipients, block lists, outbound relay; and the socketmap " +
		"tables that give Postfix the customer domains, their next hops and recipients.",
	"reinject": "Postfix's second smtpd without milter (see master.cf). Released quarantine " +
		"messages, per-recipient copies and virus notices are sent back through it; it relays " +
		"unscanned to any recipient, so only mailtower may reach it. The default is a unix socket " +
		"that Postfix's master creates for the master.cf service that `mailtower postfix-config " +
		"--master` prints, in the public directory of Postfix's queue: only root, postfix and group " +
		"postdrop (the package adds the mailtower user) can enter it. HOST:PORT on loopback still " +
		"works, but every local process can connect to it.",
	"scanners.clamd": "ClamAV's clamd (Debian package clamav-daemon). The engine is used when " +
		"this section is present. If clamd is unreachable or too slow, mail is tempfailed (451) " +
		"and the sender retries: it is never passed unscanned unless on_error = \"skip\".",
	"scanners.spamd": "SpamAssassin's spamd (Debian package spamd). Used when this section is " +
		"present; its score is compared with the recipient's spam level threshold.",
	"scanners.rspamd":     "rspamd's normal worker (Debian package rspamd). Used when this section is present.",
	"scanners.bayes":      "The built-in learning spam engine; train it with `mailtower learn`.",
	"scanners.heuristics": "The built-in header and structure rules.",
	"greylist": "Greylisting applies to catch-all domains only: they accept every address, so " +
		"dictionary spam would otherwise be scanned and quarantined in bulk. A first delivery " +
		"attempt is answered 4xx; real mail servers retry, most spam software does not.",
	"defaults": "The global policy. Domains (`mailtower domain set`) and users (`mailtower user set`) " +
		"override it. Spam level thresholds (SpamAssassin points) for levels 1 to 5: 12, 8, 5, 3.5, 2.5.",
	"limits": "Bounds on the work spent on one message, against hostile input. A message past a " +
		"limit gets a verdict (content: malformed), never a crash and never a pass.",
	"metrics": "The Prometheus endpoint (/metrics). Keep it on loopback or behind a firewall.",
}

// examples are shown for keys that have no default: the Debian package
// locations of the engines.
var examples = map[string]string{
	"scanners.clamd.address":  `"unix:/run/clamav/clamd.ctl"`,
	"scanners.spamd.address":  `"127.0.0.1:783"`,
	"scanners.rspamd.address": `"http://127.0.0.1:11333"`,
}
