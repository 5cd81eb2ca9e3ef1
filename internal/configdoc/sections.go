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
		"owned by mailtower, group postfix). `mailtower postfix-config` prints the matching main.cf lines. " +
		"The milter has no authentication: an address other hosts can reach is refused unless " +
		"allow_public = true (for Postfix on another host, behind a firewall that admits only it).",
	"policyd": "The Postfix policy service asked at RCPT time (check_policy_service): greylisting " +
		"of catch-all domains, unknown recipients, block lists, outbound relay; and the socketmap " +
		"tables that give Postfix the customer domains, their next hops and recipients. Neither listener " +
		"has authentication (a client could list users and domains): addresses other hosts can reach " +
		"are refused unless allow_public = true.",
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
	"scanners.icap": "An antivirus engine over ICAP (RFC 3507), such as c-icap with its virus_scan " +
		"module (Debian packages c-icap, libc-icap-mod-virus-scan) or a commercial engine's ICAP " +
		"server. Used when this section is present; messages are sent by RESPMOD with preview. " +
		"Like clamd: unreachable, too slow, an ICAP error or a reply that cannot be read tempfails (451). " +
		"The ICAP server decides what it scans: with c-icap, list every file type group in " +
		"virus_scan.ScanFileTypes (TEXT DATA EXECUTABLE ARCHIVE GRAPHICS STREAM DOCUMENT) and raise " +
		"virus_scan.MaxObjectSize above the largest message (or add ?sizelimit=off to the address), " +
		"or it answers 204 (clean) unscanned.",
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
	"notices": "Virus notices go to the recipient and/or the domain admin (defaults.notify_virus), " +
		"never to the sender, one per message per notified address: an admin gets one notice listing " +
		"the recipients. An address of a catch-all domain that is not a known user gets no notice of " +
		"its own (its admin is told instead). Past a rate limit a notice is dropped with a warning " +
		"and counted in mailtower_virus_notices_suppressed_total; the limits count from the daemon's start.",
	"limits": "Bounds on the work spent on one message, against hostile input. A message past a " +
		"limit gets a verdict (content: malformed), never a crash and never a pass.",
	"metrics": "The Prometheus endpoint (/metrics). An address other hosts can reach is refused " +
		"unless allow_public = true: keep it on loopback, or behind a firewall that admits only your Prometheus server.",
	"history": "The mail history (`mailtower history`, docs/history.md): the milter records every message it " +
		"decides and the policy daemon every recipient it refuses at RCPT; a follower reads Postfix's log " +
		"(log_file) from a stored position, across rotation and restarts, and adds each delivery attempt. " +
		"Writing history never delays or fails mail: rows that cannot be written are dropped and counted " +
		"(mailtower_history_rows_lost_total). Set Postfix's enable_long_queue_ids = yes " +
		"(`mailtower postfix-config` prints it) so that queue ids do not repeat. The mailtower user must be " +
		"able to read log_file (Debian: group adm for /var/log/mail.log).",
	"web": "The self-service web portal (users, domain admins, admins; see docs/portal.md), served inside " +
		"`mailtower serve` when listen is set, or alone by `mailtower web`. Unlike the other listeners it " +
		"authenticates its users (password and TOTP), so it may face the Internet, but only over TLS: " +
		"an address other hosts can reach needs tls_cert and tls_key. Plain HTTP is accepted only on " +
		"loopback or a unix socket, for a reverse proxy on this host that terminates TLS; base_url must be https.",
	"tls": "The certificate Postfix presents for STARTTLS on port 25 and on the submission ports 587 " +
		"and 465 (`mailtower postfix-config` writes smtpd_tls_cert_file and smtpd_tls_key_file). " +
		"Until it is set, Postfix uses Debian's self-signed snakeoil certificate: sending servers " +
		"still encrypt (they do not verify on port 25), but mail clients on 587/465 warn or refuse. " +
		"See docs/submission.md.",
	"sasl": "mailtower's authentication server for customers who send through the gateway " +
		"(submission on 587 with STARTTLS and 465 with implicit TLS, see docs/submission.md). Postfix's " +
		"smtpd asks it in Dovecot's authentication protocol (smtpd_sasl_type = dovecot); users log in " +
		"with their address and the password set by `mailtower user passwd` (the portal's). It must " +
		"listen on loopback or a unix socket: Postfix sends passwords to it in clear text.",
}

// examples are shown for keys that have no default: the Debian package
// locations of the engines.
var examples = map[string]string{
	"scanners.clamd.address":  `"unix:/run/clamav/clamd.ctl"`,
	"scanners.icap.address":   `"icap://127.0.0.1:1344/virus_scan"`,
	"scanners.spamd.address":  `"127.0.0.1:783"`,
	"scanners.rspamd.address": `"http://127.0.0.1:11333"`,
}
