package notify

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/mailtower/mailtower/milter"
	"github.com/mailtower/mailtower/policy"
)

// compose writes the plain-text virus notice for one addressee. It names
// the virus, the sender as claimed, the subject, the date and the
// quarantine id, and never contains any of the infected content.
func compose(n milter.VirusNotice, to, hostname string, now time.Time) []byte {
	if n.Kind == policy.NoticeOutboundSpam {
		return composeOutbound(n, to, hostname, now)
	}
	var b bytes.Buffer
	writeHeader(&b, to, hostname, "Virus blocked: "+oneLine(n.Subject, 120), "virus-notice."+n.QueueID, now)
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	rcpts := n.Recipients
	if len(rcpts) == 0 { // queued by a version that had one recipient per notice
		rcpts = []string{n.Recipient}
	}
	switch {
	case len(rcpts) == 1 && to == rcpts[0]:
		line("A message addressed to you was not delivered because it contains a virus.")
	case len(rcpts) == 1:
		line("A message addressed to %s was not delivered because it contains a virus.", oneLine(rcpts[0], 200))
	default:
		line("A message was not delivered to these %d recipients because it contains a virus:", len(rcpts))
		line("")
		for i, r := range rcpts {
			if i == maxListed {
				line("  ... and %d more", len(rcpts)-maxListed)
				break
			}
			line("  %s", oneLine(r, 200))
		}
	}
	line("")
	line("  Virus:          %s", oneLine(n.Virus, 200))
	line("  Sender:         %s (as claimed by the message; it is often forged)", oneLine(n.Sender, 200))
	line("  Subject:        %s", oneLine(n.Subject, 200))
	line("  Date:           %s", n.Date.Format(time.RFC1123Z))
	if n.QuarantineID != "" {
		line("  Quarantine ID:  %s", n.QuarantineID)
		line("")
		line("The message is kept in quarantine. If you believe it is harmless, ask your")
		line("mail administrator and quote the quarantine ID.")
	} else {
		line("")
		line("The message was deleted.")
	}
	line("")
	line("The infected content is not attached. Do not reply to the sender about this:")
	line("viruses forge sender addresses.")
	return b.Bytes()
}

// writeHeader writes the header of a notice from the gateway's postmaster
// to to, and the blank line after it. idPart makes the Message-ID unique
// with the time.
func writeHeader(b *bytes.Buffer, to, hostname, subject, idPart string, now time.Time) {
	h := func(k, v string) { fmt.Fprintf(b, "%s: %s\r\n", k, v) }
	from := "postmaster@" + hostname
	h("From", (&mail.Address{Name: "Mail gateway " + hostname, Address: from}).String())
	h("To", (&mail.Address{Address: to}).String())
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", fmt.Sprintf("<%s.%d@%s>", idPart, now.UnixNano(), hostname))
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
}

// maxListed bounds the recipients named in one notice (Postfix accepts
// up to smtpd_recipient_limit, 1000 by default, per message).
const maxListed = 50

// oneLine strips line breaks and control characters (a subject is
// attacker-controlled) and shortens s to n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	if s == "" {
		return "(none)"
	}
	return s
}
