package config

import (
	"fmt"
	"net/url"
	"time"
)

// Web configures the self-service portal (package web).
type Web struct {
	Listen string `toml:"listen" doc:"HOST:PORT or unix:PATH of the portal; empty = off" default:""`
	// BaseURL is where browsers reach the portal: links in digests, and
	// the origin that forms must come from.
	BaseURL string `toml:"base_url" doc:"the https:// address users open (links in digest mails); required when listen is set"`
	TLSCert string `toml:"tls_cert" doc:"PEM certificate chain; with tls_key the portal speaks HTTPS itself (needed on an address other hosts can reach)"`
	TLSKey  string `toml:"tls_key" doc:"PEM private key of tls_cert (readable by the mailtower user only)"`
	// SessionIdle and SessionMax bound a login session.
	SessionIdle Duration `toml:"session_idle" doc:"a session unused for this long ends" default:"30m"`
	SessionMax  Duration `toml:"session_max" doc:"a session ends this long after the login, used or not" default:"12h"`
	// DigestHour is when daily and weekly digests are sent (local time).
	DigestHour int `toml:"digest_hour" doc:"hour of the day (0-23, local time) at which quarantine digests are sent" default:"7"`
}

func defaultWeb() Web {
	return Web{SessionIdle: Duration(30 * time.Minute), SessionMax: Duration(12 * time.Hour), DigestHour: 7}
}

// TLS reports whether the portal terminates TLS itself.
func (w Web) TLS() bool { return w.TLSCert != "" && w.TLSKey != "" }

// check applies the portal's exposure rule: it authenticates its users,
// so unlike the milter it may be reached from other hosts, but never
// over plain HTTP (passwords and session cookies would cross the network
// in clear text).
func (w Web) check() []error {
	if w.Listen == "" {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	network, address, err := ParseListen(w.Listen)
	if err != nil {
		bad("web.listen: %v", err)
	}
	if (w.TLSCert == "") != (w.TLSKey == "") {
		bad("web: set both tls_cert and tls_key, or neither")
	}
	if err == nil && Exposed(network, address) && !w.TLS() {
		bad("web.listen %q is reachable from other hosts without TLS: passwords and session cookies would cross the network "+
			"in clear text; set web.tls_cert and web.tls_key, or listen on 127.0.0.1 behind a reverse proxy that terminates TLS", w.Listen)
	}
	u, uerr := url.Parse(w.BaseURL)
	switch {
	case w.BaseURL == "":
		bad("web.base_url: required when web.listen is set (the https:// address users open)")
	case uerr != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		bad("web.base_url %q: want https://HOST[:PORT][/PATH] (the portal's cookies are Secure: browsers send them over HTTPS only)", w.BaseURL)
	}
	if w.SessionIdle <= 0 || w.SessionMax < w.SessionIdle {
		bad("web: need 0 < session_idle <= session_max")
	}
	if w.DigestHour < 0 || w.DigestHour > 23 {
		bad("web.digest_hour %d: want 0 to 23", w.DigestHour)
	}
	return errs
}
