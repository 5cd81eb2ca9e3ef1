package reinject

import "strings"

// Envelope is the SMTP envelope of one re-injected message, with the
// delivery status notification parameters (RFC 3461) of the original
// transaction where known, so that a re-injected copy or a released
// message keeps what the sender asked for (NOTIFY=NEVER, ORCPT, ...).
type Envelope struct {
	From string
	// RET and EnvID are MAIL FROM's RET= and ENVID= values ("" = none).
	RET, EnvID string
	To         []Rcpt
}

// Rcpt is one recipient with its RCPT TO parameters.
type Rcpt struct {
	Addr string
	// Notify is NOTIFY= ("NEVER", "SUCCESS,FAILURE", ...), ORcpt is ORCPT=
	// as given ("rfc822;bob@example.org", xtext-encoded); "" = none.
	Notify, ORcpt string
}

// Addresses returns the recipients' addresses.
func (e Envelope) Addresses() []string {
	out := make([]string, len(e.To))
	for i, r := range e.To {
		out[i] = r.Addr
	}
	return out
}

// MailDSN returns RET= and ENVID= from MAIL FROM's ESMTP arguments as
// Postfix passes them to the milter ("RET=HDRS ENVID=abc SIZE=10").
// Values that are not valid are dropped.
func MailDSN(args string) (ret, envid string) {
	for _, a := range strings.Fields(args) {
		k, v, _ := strings.Cut(a, "=")
		switch strings.ToUpper(k) {
		case "RET":
			if u := strings.ToUpper(v); u == "FULL" || u == "HDRS" {
				ret = u
			}
		case "ENVID":
			if isXtext(v) {
				envid = v
			}
		}
	}
	return ret, envid
}

// RcptDSN returns NOTIFY= and ORCPT= from RCPT TO's ESMTP arguments.
// Values that are not valid are dropped.
func RcptDSN(args string) (notify, orcpt string) {
	for _, a := range strings.Fields(args) {
		k, v, _ := strings.Cut(a, "=")
		switch strings.ToUpper(k) {
		case "NOTIFY":
			if validNotify(v) {
				notify = strings.ToUpper(v)
			}
		case "ORCPT":
			if t, addr, ok := strings.Cut(v, ";"); ok && t != "" && addr != "" && isAtom(t) && isXtext(addr) {
				orcpt = v
			}
		}
	}
	return notify, orcpt
}

// validNotify: NEVER alone, or a list of SUCCESS, FAILURE, DELAY.
func validNotify(v string) bool {
	parts := strings.Split(strings.ToUpper(v), ",")
	for _, p := range parts {
		switch p {
		case "NEVER":
			if len(parts) != 1 {
				return false
			}
		case "SUCCESS", "FAILURE", "DELAY":
		default:
			return false
		}
	}
	return true
}

// isXtext reports whether v is RFC 3461 xtext: printable ASCII except
// "=", with "+" only as the start of "+HH".
func isXtext(v string) bool {
	if v == "" || len(v) > 500 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '+':
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return false
			}
			i += 2
		case c < '!' || c > '~' || c == '=':
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func isAtom(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// mailParams and params are the parameters the client sends.
func (e Envelope) mailParams() string { return esmtpParams("RET", e.RET, "ENVID", e.EnvID) }

func (r Rcpt) params() string { return esmtpParams("NOTIFY", r.Notify, "ORCPT", r.ORcpt) }

// esmtpParams formats " K=V" for every name and non-empty value.
func esmtpParams(kv ...string) string {
	var s string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			s += " " + kv[i] + "=" + kv[i+1]
		}
	}
	return s
}

// sanitized drops DSN values that are not valid (they may come from the
// quarantine database), so that nothing but a well-formed parameter is
// ever written into a command line.
func (e Envelope) sanitized() Envelope {
	out := Envelope{From: e.From}
	out.RET, out.EnvID = MailDSN(e.mailParams())
	if strings.ContainsAny(e.RET+e.EnvID, " \t\r\n") {
		out.RET, out.EnvID = "", ""
	}
	for _, r := range e.To {
		n := Rcpt{Addr: r.Addr}
		if !strings.ContainsAny(r.Notify+r.ORcpt, " \t\r\n") {
			n.Notify, n.ORcpt = RcptDSN(r.params())
		}
		out.To = append(out.To, n)
	}
	return out
}
