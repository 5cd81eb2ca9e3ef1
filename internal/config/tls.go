package config

import (
	"fmt"
	"time"
)

// Debian's self-signed certificate (package ssl-cert), which Postfix
// presents until the admin names a real one in [tls].
const (
	SnakeoilCert = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
	SnakeoilKey  = "/etc/ssl/private/ssl-cert-snakeoil.key"
)

// TLS names the certificate Postfix presents on port 25 and on the
// submission ports (`mailtower postfix-config` writes it into main.cf).
// mailtower itself never reads the key: Postfix does, as root.
type TLS struct {
	Cert string `toml:"cert" doc:"PEM certificate chain Postfix presents for STARTTLS on port 25 and on submission (587, 465); empty = Debian's self-signed snakeoil certificate (clients that verify refuse it: set a real one)"`
	Key  string `toml:"key" doc:"PEM private key of cert (readable by root only; Postfix reads it, mailtower does not)"`
}

// Files returns the certificate and key Postfix uses, and whether they
// are the snakeoil stand-ins.
func (t TLS) Files() (cert, key string, snakeoil bool) {
	if t.Cert == "" {
		return SnakeoilCert, SnakeoilKey, true
	}
	return t.Cert, t.Key, false
}

func (t TLS) check() []error {
	if (t.Cert == "") != (t.Key == "") {
		return []error{fmt.Errorf("tls: set both cert and key, or neither (then Postfix uses the snakeoil certificate)")}
	}
	return nil
}

// SASL configures mailtower's authentication server for Postfix's
// submission ports (Dovecot's authentication protocol, smtpd_sasl_type =
// dovecot).
type SASL struct {
	// Listen is where Postfix's smtpd asks (smtpd_sasl_path). With it
	// empty there is no authentication and `postfix-config` prints no
	// submission ports.
	Listen string `toml:"listen" doc:"HOST:PORT on loopback, or unix:PATH, of the authentication server Postfix's submission ports ask (smtpd_sasl_path); empty = off (no submission on 587 and 465)" default:"127.0.0.1:10043"`
	// Submission and Submissions are the master.cf services of the
	// submission ports `postfix-config` prints: a service name from
	// /etc/services or HOST:PORT.
	Submission  string `toml:"submission" doc:"master.cf service of submission with STARTTLS required: a name (submission = port 587) or HOST:PORT; empty = none" default:"submission"`
	Submissions string `toml:"submissions" doc:"master.cf service of submission with implicit TLS: a name (submissions = port 465) or HOST:PORT; empty = none" default:"submissions"`
	// MaxHashing bounds the argon2id hashes computed at once: each takes
	// 19 MiB and a CPU for about 30 ms.
	MaxHashing int `toml:"max_hashing" doc:"most password checks (argon2id, 19 MiB each) computed at the same time; 0 = the number of CPUs" default:"0"`
	// MaxDelay caps the delay before a failed login is answered; it grows
	// with the failures of the client network and the user. Postfix waits
	// 10 s for an answer, so it must stay well below.
	MaxDelay Duration `toml:"max_delay" doc:"longest delay before answering a login after failures from its network or for its user (grows per failure); below Postfix's 10 s wait" default:"5s"`
	// MessagesPerHour limits what one authenticated user sends (outbound
	// spam from a stolen password); 0 = no limit.
	MessagesPerHour int `toml:"messages_per_hour" doc:"most messages one authenticated user may send per hour; more get 450 4.7.1 until the hour passes; 0 = no limit" default:"200"`
	// OutboundSpamLevel is the spam level (1-5, as [defaults] spam_level)
	// at which an authenticated user's mail to outside recipients is held
	// as spam: refused with 550 5.7.1, kept in the quarantine, the
	// domain's admin alerted. Level 1 (score >= 12) holds only obvious
	// spam: a false positive stops a customer's real mail.
	OutboundSpamLevel int `toml:"outbound_spam_level" doc:"spam level (1-5 as spam_level; 1 = score >= 12, only obvious spam) at which an authenticated user's mail to outside recipients is held in the quarantine and refused with 550 5.7.1, and the domain admin alerted; 0 = no spam check on outbound mail" default:"1"`
	// HeldPerHour defers a user's further mail after this many of its
	// messages were held as spam within an hour (a compromised account).
	HeldPerHour int `toml:"held_per_hour" doc:"after this many messages of one authenticated user held as outbound spam within an hour, its further mail gets 450 4.7.1 until the hour passes; 0 = never deferred" default:"3"`
}

func defaultSASL() SASL {
	return SASL{Listen: "127.0.0.1:10043", Submission: "submission", Submissions: "submissions", MaxDelay: Duration(5 * time.Second), MessagesPerHour: 200,
		OutboundSpamLevel: 1, HeldPerHour: 3}
}

func (s SASL) check() []error {
	if s.Listen == "" {
		return nil
	}
	var errs []error
	network, address, err := ParseListen(s.Listen)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("sasl.listen: %v", err))
	case Exposed(network, address):
		// Postfix sends the password in clear text and names the client
		// address, which the rate limits trust: only this host may talk.
		errs = append(errs, fmt.Errorf("sasl.listen %q is reachable from other hosts: passwords would cross the network in clear text; "+
			"listen on 127.0.0.1, ::1 or a unix socket", s.Listen))
	}
	if s.MaxHashing < 0 || s.MessagesPerHour < 0 || s.HeldPerHour < 0 {
		errs = append(errs, fmt.Errorf("sasl: max_hashing, messages_per_hour and held_per_hour must not be negative"))
	}
	if s.OutboundSpamLevel < 0 || s.OutboundSpamLevel > 5 {
		errs = append(errs, fmt.Errorf("sasl.outbound_spam_level %d: want 1 to 5, or 0 for no spam check", s.OutboundSpamLevel))
	}
	if s.MaxDelay < 0 || s.MaxDelay.D() > 8*time.Second {
		errs = append(errs, fmt.Errorf("sasl.max_delay %s: want 0 to 8s (Postfix gives up on an answer after 10 s)", s.MaxDelay))
	}
	return errs
}
