package postfixconf

import (
	"strings"
	"testing"

	"github.com/mailtower/mailtower/internal/config"
)

// Issue 16: STARTTLS on 25 with the certificate of [tls] (snakeoil until
// set, with a note), opportunistic TLS outbound with per-domain policies
// from the socketmap, TLS 1.2 or later, the protocol in the log.
func TestTLSLines(t *testing.T) {
	cfg := config.Default()
	m := Main(cfg)
	for _, line := range []string{
		"smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem",
		"smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key",
		"smtpd_tls_security_level = may",
		"smtpd_tls_protocols = >=TLSv1.2",
		"smtpd_tls_loglevel = 1",
		"smtp_tls_security_level = may",
		"smtp_tls_protocols = >=TLSv1.2",
		"smtp_tls_loglevel = 1",
		"smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10041:tls",
		"milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
	} {
		if !strings.Contains(m, "\n"+line+"\n") {
			t.Errorf("main.cf lacks %q", line)
		}
	}
	if !strings.Contains(m, "snakeoil certificate until [tls] cert and key") {
		t.Errorf("no note about the snakeoil certificate")
	}
	cfg.TLS = config.TLS{Cert: "/etc/letsencrypt/live/gw/fullchain.pem", Key: "/etc/letsencrypt/live/gw/privkey.pem"}
	m = Main(cfg)
	if !strings.Contains(m, "\nsmtpd_tls_cert_file = /etc/letsencrypt/live/gw/fullchain.pem\n") ||
		!strings.Contains(m, "\nsmtpd_tls_key_file = /etc/letsencrypt/live/gw/privkey.pem\n") || strings.Contains(m, "snakeoil") {
		t.Errorf("[tls] certificate not used:\n%s", m)
	}
}

// Submission: 587 with STARTTLS required, 465 with implicit TLS, login
// over TLS only, only as one's own addresses, nothing without login.
func TestSubmissionEntries(t *testing.T) {
	cfg := config.Default()
	s := Submission(cfg)
	for _, line := range []string{
		"submission inet n - n - - smtpd",
		"submissions inet n - n - - smtpd",
		"  -o smtpd_tls_wrappermode=yes",
		"  -o smtpd_tls_security_level=encrypt",
		"  -o smtpd_tls_auth_only=yes",
		"  -o smtpd_sasl_type=dovecot",
		"  -o smtpd_sasl_path=inet:127.0.0.1:10043",
		"  -o smtpd_sender_login_maps=socketmap:inet:127.0.0.1:10041:senders",
		"  -o smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch",
		"  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject",
		"  -o { smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:10040, permit_sasl_authenticated, reject }",
	} {
		if !strings.Contains(s, "\n"+line+"\n") {
			t.Errorf("submission entries lack %q:\n%s", line, s)
		}
	}
	if strings.Count(s, "smtpd_tls_wrappermode=yes") != 1 {
		t.Errorf("only 465 uses implicit TLS:\n%s", s)
	}
	cfg.SASL.Listen = "unix:/var/spool/postfix/private/mailtower-auth"
	cfg.SASL.Submission, cfg.SASL.Submissions = "127.0.0.1:2587", ""
	s = Submission(cfg)
	if !strings.Contains(s, "\n127.0.0.1:2587 inet n - n - - smtpd\n") || strings.Contains(s, "submissions inet") ||
		!strings.Contains(s, "-o smtpd_sasl_path=/var/spool/postfix/private/mailtower-auth\n") {
		t.Errorf("configured services:\n%s", s)
	}
	cfg.SASL.Listen = ""
	if s := Submission(cfg); s != "" {
		t.Errorf("no authentication, no submission:\n%s", s)
	}
}
