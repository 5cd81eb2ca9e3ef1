package postfixconf

import "github.com/mailtower/mailtower/internal/config"

// writeTLS renders the main.cf TLS lines (Postfix TLS_README): STARTTLS
// offered on port 25 with [tls]'s certificate, opportunistic TLS to the
// customers' servers with per-domain policies from the socketmap, TLS 1.2
// or later, and one log line per TLS session naming the protocol.
func writeTLS(w func(string, ...any), cfg *config.Config) {
	cert, key, snakeoil := cfg.TLS.Files()
	w("# TLS. Inbound: STARTTLS offered on port 25 (never required: RFC 3207, other")
	w("# servers may not speak it).")
	if snakeoil {
		w("# NOTE: Debian's self-signed snakeoil certificate until [tls] cert and key are")
		w("# set in mailtower.toml: sending servers still encrypt, mail clients on the")
		w("# submission ports warn. Then run `mailtower postfix-config` again.")
	}
	w("smtpd_tls_cert_file = %s", cert)
	w("smtpd_tls_key_file = %s", key)
	w("smtpd_tls_security_level = may")
	w("smtpd_tls_protocols = >=TLSv1.2")
	w("smtpd_tls_mandatory_protocols = >=TLSv1.2")
	w("smtpd_tls_auth_only = yes")
	w("smtpd_tls_received_header = yes")
	w("smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache")
	w("# Outbound to the customers' servers: TLS whenever offered; `mailtower domain set")
	w("# D --tls encrypt|verify` requires it per domain (served as a TLS policy table).")
	w("smtp_tls_security_level = may")
	w("smtp_tls_protocols = >=TLSv1.2")
	w("smtp_tls_mandatory_protocols = >=TLSv1.2")
	w("smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt")
	w("smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache")
	if sm := postfixListen(cfg.Policyd.Socketmap, "inet"); sm != "" {
		w("smtp_tls_policy_maps = socketmap:%s:tls", sm)
	}
	w("# Log one line per TLS session with the negotiated protocol and cipher.")
	w("smtpd_tls_loglevel = 1")
	w("smtp_tls_loglevel = 1")
}
