package milter

import (
	"io"
	"strings"
	"time"

	"github.com/d--j/go-milter/mailfilter"

	"github.com/mailtower/mailtower/reinject"
)

// traceField is the gateway's Received field for the original
// transaction (RFC 5321 4.4, in Postfix's own layout), built from the
// milter macros: client, HELO, this host, queue id. Postfix adds its own
// Received field to the copy it delivers, but not to what the milter sees;
// copies that mailtower stores or re-injects carry this one instead, so
// that the trace of the original transaction is not lost.
func traceField(trx mailfilter.Trx, now time.Time) reinject.Field {
	helo, host, addr := "unknown", "unknown", "unknown"
	if h := trx.Helo(); h != nil && h.Name != "" {
		helo = traceToken(h.Name)
	}
	if c := trx.Connect(); c != nil {
		if c.Host != "" && !strings.HasPrefix(c.Host, "[") {
			host = traceToken(c.Host)
		}
		if c.Addr != "" {
			addr = traceToken(c.Addr)
			if c.Family == "tcp6" {
				addr = "IPv6:" + addr
			}
		}
	}
	proto := "ESMTP"
	if h := trx.Helo(); h != nil && h.TlsVersion != "" {
		proto += "S"
	}
	if m := trx.MailFrom(); m != nil && m.AuthenticatedUser() != "" {
		proto += "A"
	}
	by := "localhost"
	if mta := trx.MTA(); mta != nil && mta.FQDN != "" {
		by = traceToken(mta.FQDN)
	}
	v := "from " + helo + " (" + host + " [" + addr + "])\r\n\tby " + by + " (mailtower) with " + proto
	if id := traceToken(trx.QueueId()); id != "" {
		v += " id " + id
	}
	// Like Postfix: name the recipient only when there is exactly one.
	if r := trx.RcptTos(); len(r) == 1 && !strings.ContainsAny(r[0].Addr, "<>\r\n") {
		v += "\r\n\tfor <" + r[0].Addr + ">"
	}
	v += "; " + now.Format("Mon, 2 Jan 2006 15:04:05 -0700 (MST)")
	return reinject.Field{Name: "Received", Value: v}
}

// traceToken keeps a macro value on one line and out of the field's
// comments: white space, controls and parentheses become "_".
func traceToken(s string) string {
	if len(s) > 255 {
		s = s[:255]
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '(' || r == ')' || r == '[' || r == ']' {
			return '_'
		}
		return r
	}, s)
}

// withTrace returns raw with the trace field on top.
func withTrace(trace reinject.Field, raw interface{ Reader() io.Reader }) io.Reader {
	return io.MultiReader(strings.NewReader(trace.Name+": "+trace.Value+"\r\n"), raw.Reader())
}

// dsnEnvelope returns the envelope of the original transaction with its
// DSN parameters (RET, ENVID; NOTIFY, ORCPT per recipient) for the given
// recipients, so that re-injected and released copies keep them.
func dsnEnvelope(trx mailfilter.Trx, from string, to []string) reinject.Envelope {
	env := reinject.Envelope{From: from}
	if m := trx.MailFrom(); m != nil {
		env.RET, env.EnvID = reinject.MailDSN(m.Args)
	}
	args := map[string]string{}
	for _, r := range trx.RcptTos() {
		args[strings.ToLower(r.Addr)] = r.Args
	}
	for _, a := range to {
		r := reinject.Rcpt{Addr: a}
		r.Notify, r.ORcpt = reinject.RcptDSN(args[strings.ToLower(a)])
		env.To = append(env.To, r)
	}
	return env
}
